-- Attacks in a run's database (extractor/attacks/database.py applies this to any extractor database,
-- beside the run's tables): one row per attack, its reports, and its resolved figures with every value
-- reported. attacks.record holds the attack whole (JSON), which an incremental run reads back.
CREATE TABLE IF NOT EXISTS attacks (
    id             TEXT PRIMARY KEY,              -- attack_id: stable, never reused
    role           TEXT NOT NULL,                 -- main | background
    attacker       TEXT NOT NULL,
    target_country TEXT NOT NULL,
    date           TEXT,                          -- YYYY-MM-DD, the date most dated reports give
    reports        INTEGER NOT NULL,
    record         TEXT NOT NULL                  -- the attack as extractor attacks writes it in JSONL
);
CREATE TABLE IF NOT EXISTS attack_reports (
    attack_id  TEXT NOT NULL REFERENCES attacks (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,                  -- 1, 2, ... in publication order, undated last
    article_id TEXT NOT NULL,
    event      INTEGER NOT NULL,                  -- the event's position in its article's record, from 0
    published  TEXT,
    role       TEXT NOT NULL,
    joined     TEXT NOT NULL CHECK (joined IN ('key', 'match')),
    score      REAL,
    outlet     TEXT,
    url        TEXT,
    PRIMARY KEY (attack_id, position),
    UNIQUE (article_id, event)
);
CREATE TABLE IF NOT EXISTS attack_weapons (
    id        INTEGER PRIMARY KEY,
    attack_id TEXT NOT NULL REFERENCES attacks (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    category  TEXT NOT NULL,
    model     TEXT
);
CREATE TABLE IF NOT EXISTS attack_places (
    id        INTEGER PRIMARY KEY,
    attack_id TEXT NOT NULL REFERENCES attacks (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    region    TEXT
);
CREATE TABLE IF NOT EXISTS attack_damage (
    attack_id TEXT NOT NULL REFERENCES attacks (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    category  TEXT NOT NULL,
    PRIMARY KEY (attack_id, position)
);
-- The figure that stands for each slot, from the report named, and whether the reports disagreed.
CREATE TABLE IF NOT EXISTS attack_figures (
    id         INTEGER PRIMARY KEY,
    attack_id  TEXT NOT NULL REFERENCES attacks (id) ON DELETE CASCADE,
    belongs_to TEXT NOT NULL CHECK (belongs_to IN ('attack', 'weapon', 'place')),
    weapon_id  INTEGER REFERENCES attack_weapons (id) ON DELETE CASCADE,
    place_id   INTEGER REFERENCES attack_places (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('launched', 'intercepted', 'killed', 'injured')),
    value      INTEGER NOT NULL,
    qualifier  TEXT NOT NULL,
    source     TEXT,
    evidence   TEXT NOT NULL,
    article_id TEXT NOT NULL,
    reported   INTEGER NOT NULL,                  -- how many reports state this slot
    disputed   INTEGER NOT NULL CHECK (disputed IN (0, 1))
);
-- Every value reported for a slot, the chosen one marked.
CREATE TABLE IF NOT EXISTS attack_reported (
    figure_id  INTEGER NOT NULL REFERENCES attack_figures (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    value      INTEGER NOT NULL,
    qualifier  TEXT NOT NULL,
    source     TEXT,
    article_id TEXT NOT NULL,
    evidence   TEXT NOT NULL,
    chosen     INTEGER NOT NULL CHECK (chosen IN (0, 1)),
    PRIMARY KEY (figure_id, position)
);
-- reconcile's comparisons, when written into the database (one run of reconcile replaces them).
CREATE TABLE IF NOT EXISTS reconciliation (
    attack_id         TEXT NOT NULL,
    date              TEXT NOT NULL,
    category          TEXT NOT NULL,
    model             TEXT,
    kind              TEXT NOT NULL,
    reported          INTEGER,
    qualifier         TEXT,
    reference         INTEGER,
    status            TEXT NOT NULL CHECK (status IN ('agrees', 'differs', 'not_reported', 'not_in_reference')),
    source            TEXT,
    quote             TEXT,
    article_id        TEXT,
    reference_weapons TEXT
);
CREATE INDEX IF NOT EXISTS attacks_date ON attacks (date);
CREATE INDEX IF NOT EXISTS attacks_sides ON attacks (attacker, target_country, date);
CREATE INDEX IF NOT EXISTS attack_reports_article ON attack_reports (article_id);
CREATE INDEX IF NOT EXISTS attack_figures_attack ON attack_figures (attack_id, kind);
CREATE INDEX IF NOT EXISTS attack_places_name ON attack_places (name);

-- Each attack's resolved launched and intercepted per weapon entry.
CREATE VIEW IF NOT EXISTS attack_weapon_rows AS
SELECT w.id AS weapon_id, a.id AS attack_id, a.role, a.attacker, a.target_country, a.date, w.category, w.model,
       l.value AS launched, l.qualifier AS launched_qualifier, l.source AS launched_source,
       x.value AS intercepted, x.qualifier AS intercepted_qualifier, x.source AS intercepted_source
FROM attack_weapons w JOIN attacks a ON a.id = w.attack_id
LEFT JOIN attack_figures l ON l.weapon_id = w.id AND l.kind = 'launched'
LEFT JOIN attack_figures x ON x.weapon_id = w.id AND x.kind = 'intercepted';

-- Each attack's launched and intercepted per category: the category's own count where a report gives
-- one, else the sum of its models' (never both, which would count twice).
CREATE VIEW IF NOT EXISTS attack_category_totals AS
SELECT attack_id, role, attacker, target_country, date, category,
       coalesce(max(CASE WHEN model IS NULL THEN launched END), sum(CASE WHEN model IS NOT NULL THEN launched END))
           AS launched,
       coalesce(max(CASE WHEN model IS NULL THEN intercepted END),
                sum(CASE WHEN model IS NOT NULL THEN intercepted END)) AS intercepted
FROM attack_weapon_rows GROUP BY attack_id, category;

-- Each attack's places with their resolved tolls; in_region is the region itself, or the one a place lies in.
CREATE VIEW IF NOT EXISTS attack_place_rows AS
SELECT p.id AS place_id, a.id AS attack_id, a.role, a.attacker, a.target_country, a.date,
       p.name, p.kind, p.region, CASE WHEN p.kind = 'region' THEN p.name ELSE p.region END AS in_region,
       k.value AS killed, k.qualifier AS killed_qualifier, i.value AS injured, i.qualifier AS injured_qualifier
FROM attack_places p JOIN attacks a ON a.id = p.attack_id
LEFT JOIN attack_figures k ON k.place_id = p.id AND k.kind = 'killed'
LEFT JOIN attack_figures i ON i.place_id = p.id AND i.kind = 'injured';

-- Every resolved figure in words, with how many reports gave the slot and whether they disagreed.
CREATE VIEW IF NOT EXISTS attack_figure_rows AS
SELECT f.id AS figure_id, a.id AS attack_id, a.attacker, a.target_country, a.date, f.belongs_to,
       w.category AS weapon_category, w.model AS weapon_model, p.name AS place, f.kind, f.value, f.qualifier,
       f.source, f.article_id, f.reported, f.disputed,
       (SELECT group_concat(value, ' / ') FROM (SELECT value FROM attack_reported r WHERE r.figure_id = f.id
        ORDER BY position)) AS values_reported
FROM attack_figures f JOIN attacks a ON a.id = f.attack_id
LEFT JOIN attack_weapons w ON w.id = f.weapon_id
LEFT JOIN attack_places p ON p.id = f.place_id;
