-- The database of a run: extractor/output/sqlite.py loads this, the one place the schema lives.
-- Changing it means raising SCHEMA_VERSION there.
CREATE TABLE articles (
    id                TEXT PRIMARY KEY,
    status            TEXT NOT NULL,                -- ok | invalid | error
    title             TEXT,
    published         TEXT,                         -- YYYY-MM-DD
    source            TEXT,
    url               TEXT,
    model             TEXT,
    prompt_version    TEXT,
    mode              TEXT,
    encoding          TEXT,                         -- how the input file was decoded, when it was a file
    errors            TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings; an error's starts with its reason
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached            INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1)),
    seconds           REAL,
    text              TEXT,                         -- the cleaned text the model read; evidence quotes it
    raw               TEXT,                         -- the model's last answer that failed validation (bounded)
    chunks            INTEGER,                      -- the parts a long article was read in; NULL: read whole
    dropped_figures   INTEGER NOT NULL DEFAULT 0    -- figures of a kind outside the four, dropped from the answer
);
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    article_id     TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,                -- 1, 2, ... in the article's record
    role           TEXT NOT NULL,
    attacker       TEXT NOT NULL,
    target_country TEXT NOT NULL,
    date           TEXT,
    date_text      TEXT,
    summary        TEXT NOT NULL,
    UNIQUE (article_id, position)
);
CREATE TABLE weapons (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    category TEXT NOT NULL,
    model    TEXT,
    UNIQUE (event_id, position)
);
CREATE TABLE places (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    region   TEXT,
    UNIQUE (event_id, position)
);
CREATE TABLE damage (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    category TEXT NOT NULL,
    PRIMARY KEY (event_id, position),
    UNIQUE (event_id, category)
);
CREATE TABLE figures (
    id         INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    belongs_to TEXT NOT NULL CHECK (belongs_to IN ('event', 'weapon', 'place')),
    weapon_id  INTEGER REFERENCES weapons (id) ON DELETE CASCADE,
    place_id   INTEGER REFERENCES places (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('launched', 'intercepted', 'killed', 'injured')),
    value      INTEGER NOT NULL CHECK (value >= 0),
    qualifier  TEXT NOT NULL,
    source     TEXT,
    evidence   TEXT NOT NULL,
    CHECK ((belongs_to = 'weapon') = (weapon_id IS NOT NULL)),
    CHECK ((belongs_to = 'place') = (place_id IS NOT NULL)),
    CHECK ((belongs_to = 'weapon') = (kind IN ('launched', 'intercepted')))
);
-- One figure per slot: an event's killed, a weapon's launched, a place's injured, ...
CREATE UNIQUE INDEX figures_slot ON figures (event_id, belongs_to, ifnull(weapon_id, 0), ifnull(place_id, 0), kind);
CREATE INDEX figures_weapon ON figures (weapon_id);
CREATE INDEX figures_place ON figures (place_id);
CREATE INDEX figures_kind_source ON figures (kind, source);
CREATE INDEX articles_status ON articles (status);
CREATE INDEX articles_published ON articles (published);
CREATE INDEX events_date ON events (date);
CREATE INDEX events_attacker ON events (attacker, date);
CREATE INDEX events_target_country ON events (target_country, date);
CREATE INDEX weapons_model ON weapons (model);
CREATE INDEX weapons_category ON weapons (category, model);
CREATE INDEX places_name ON places (name);
CREATE INDEX places_region ON places (region);
CREATE INDEX damage_category ON damage (category);

-- One row per event, flat (what the CSV gives), with its article's title and date.
CREATE VIEW event_rows AS
SELECT e.id AS event_id, e.article_id, a.title, a.published, e.position AS event, e.role, e.attacker,
       e.target_country, e.date, e.date_text,
       k.value AS killed, k.qualifier AS killed_qualifier, k.source AS killed_source,
       i.value AS injured, i.qualifier AS injured_qualifier, i.source AS injured_source,
       (SELECT group_concat(name, '; ') FROM (SELECT name FROM places WHERE event_id = e.id ORDER BY position))
           AS places,
       (SELECT group_concat(category, '; ') FROM (SELECT category FROM damage WHERE event_id = e.id ORDER BY position))
           AS damage,
       e.summary
FROM events e JOIN articles a ON a.id = e.article_id
LEFT JOIN figures k ON k.event_id = e.id AND k.belongs_to = 'event' AND k.kind = 'killed'
LEFT JOIN figures i ON i.event_id = e.id AND i.belongs_to = 'event' AND i.kind = 'injured';

-- One row per weapon entry: its launched and intercepted figures beside its event's who and when.
CREATE VIEW weapon_rows AS
SELECT w.id AS weapon_id, e.id AS event_id, e.article_id, e.role, e.attacker, e.target_country, e.date,
       w.category, w.model,
       l.value AS launched, l.qualifier AS launched_qualifier, l.source AS launched_source,
       x.value AS intercepted, x.qualifier AS intercepted_qualifier, x.source AS intercepted_source
FROM weapons w JOIN events e ON e.id = w.event_id
LEFT JOIN figures l ON l.weapon_id = w.id AND l.kind = 'launched'
LEFT JOIN figures x ON x.weapon_id = w.id AND x.kind = 'intercepted';

-- Each event's launched and intercepted per weapon category. The codebook records a count for a
-- whole category ("68 drones") apart from counts of its models ("13 Shaheds"), so adding them would
-- count twice: the category's own count is taken where the article gives one, else the sum of its
-- models' counts; *_from says which ('category' or 'models').
CREATE VIEW event_category_totals AS
SELECT event_id, article_id, role, attacker, target_country, date, category,
       coalesce(max(CASE WHEN model IS NULL THEN launched END), sum(CASE WHEN model IS NOT NULL THEN launched END))
           AS launched,
       CASE WHEN max(CASE WHEN model IS NULL THEN launched END) IS NOT NULL THEN 'category'
            WHEN sum(CASE WHEN model IS NOT NULL THEN launched END) IS NOT NULL THEN 'models' END AS launched_from,
       coalesce(max(CASE WHEN model IS NULL THEN intercepted END),
                sum(CASE WHEN model IS NOT NULL THEN intercepted END)) AS intercepted,
       CASE WHEN max(CASE WHEN model IS NULL THEN intercepted END) IS NOT NULL THEN 'category'
            WHEN sum(CASE WHEN model IS NOT NULL THEN intercepted END) IS NOT NULL THEN 'models' END
           AS intercepted_from
FROM weapon_rows GROUP BY event_id, category;

-- One row per place with its tolls; in_region is the region itself, or the one a settlement lies in.
CREATE VIEW place_rows AS
SELECT p.id AS place_id, e.id AS event_id, e.article_id, e.role, e.attacker, e.target_country, e.date,
       p.name, p.kind, p.region, CASE WHEN p.kind = 'region' THEN p.name ELSE p.region END AS in_region,
       k.value AS killed, k.qualifier AS killed_qualifier, k.source AS killed_source,
       i.value AS injured, i.qualifier AS injured_qualifier, i.source AS injured_source
FROM places p JOIN events e ON e.id = p.event_id
LEFT JOIN figures k ON k.place_id = p.id AND k.kind = 'killed'
LEFT JOIN figures i ON i.place_id = p.id AND i.kind = 'injured';

-- Every figure with what it belongs to in words: for browsing, and for counting claims by source.
CREATE VIEW figure_rows AS
SELECT f.id AS figure_id, e.article_id, f.event_id, e.role, e.attacker, e.target_country, e.date, f.belongs_to,
       w.category AS weapon_category, w.model AS weapon_model, p.name AS place,
       f.kind, f.value, f.qualifier, f.source, f.evidence
FROM figures f JOIN events e ON e.id = f.event_id
LEFT JOIN weapons w ON w.id = f.weapon_id
LEFT JOIN places p ON p.id = f.place_id;
