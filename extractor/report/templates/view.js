// view.html's filters and pages. Articles past the first page wait in inert data blocks
// (<script type="text/html">, never run) until their page is shown; then their HTML, which
// the page's own autoescaped templates wrote, is parsed inertly into elements.
// Without script the filters stay hidden and the live articles all show.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var main = document.getElementById("articles");
  if (!form || !main) { return; }
  var field = function (id) { return document.getElementById(id); };
  var status = field("f-status"), attacker = field("f-attacker"), target = field("f-target");
  var from = field("f-from"), to = field("f-to"), count = field("f-count");
  var prev = field("f-prev"), next = field("f-next"), later = field("later-note");
  var pageSize = Number(form.getAttribute("data-page-size")) || 100;
  var page = 1;
  var items = Array.prototype.map.call(main.querySelectorAll(":scope > .article, :scope > .article-later"),
    function (node) {
      return { node: node, status: node.getAttribute("data-status"),
               events: JSON.parse(node.getAttribute("data-events") || "[]") };
    });

  function eventMatches(attackerOf, targetOf, date) {
    if (attacker.value && attackerOf !== attacker.value) { return false; }
    if (target.value && targetOf !== target.value) { return false; }
    if ((from.value || to.value) && !date) { return false; }
    if (from.value && date < from.value) { return false; }
    return !(to.value && date > to.value);
  }

  function byEvent() { return Boolean(attacker.value || target.value || from.value || to.value); }

  function matches(item) {
    if (status.value && item.status !== status.value) { return false; }
    return !byEvent() || item.events.some(function (e) { return eventMatches(e[0], e[1], e[2]); });
  }

  function live(item) {
    if (item.node.tagName === "SCRIPT") {
      var holder = document.createElement("template");
      holder.innerHTML = item.node.textContent;
      var section = holder.content.firstElementChild;
      item.node.replaceWith(section);
      item.node = section;
    }
    return item.node;
  }

  function dimCards(section) {
    var cards = section.querySelectorAll("article.event");
    for (var i = 0; i < cards.length; i++) {
      var c = cards[i];
      var match = eventMatches(c.getAttribute("data-attacker"), c.getAttribute("data-target"), c.getAttribute("data-date"));
      c.classList.toggle("unmatched", byEvent() && !match);
    }
  }

  function show() {
    var found = items.filter(matches);
    var pages = Math.max(1, Math.ceil(found.length / pageSize));
    page = Math.min(Math.max(1, page), pages);
    var first = (page - 1) * pageSize;
    var shown = new Set(found.slice(first, first + pageSize));
    items.forEach(function (item) {
      if (shown.has(item)) {
        var section = live(item);
        section.hidden = false;
        dimCards(section);
      } else {
        item.node.hidden = true;
      }
    });
    prev.disabled = page <= 1;
    next.disabled = page >= pages;
    var range = found.length ? (first + 1) + "–" + Math.min(first + pageSize, found.length) + " of " : "0 of ";
    count.textContent = "articles " + range + found.length + (found.length === items.length ? "" : " matching (" +
      items.length + " in the run)") + (pages > 1 ? " · page " + page + " of " + pages : "");
  }

  function refilter() { page = 1; show(); }

  // A link to an article on another page (#a1234, #a1234-e1-killed) opens that page first.
  function follow() {
    var wanted = /^#a(\d+)(-|$)/.exec(location.hash);
    if (!wanted || document.getElementById(location.hash.slice(1))) { return; }
    var index = items.findIndex(function (item) { return item.node.getAttribute("data-number") === wanted[1]; });
    if (index < 0) { return; }
    var found = items.filter(matches);
    var at = found.indexOf(items[index]);
    if (at < 0) { status.value = attacker.value = target.value = from.value = to.value = ""; at = index; }
    page = Math.floor(at / pageSize) + 1;
    show();
    var anchor = document.getElementById(location.hash.slice(1));
    if (anchor) { anchor.scrollIntoView(); }
  }

  // Filters can be given in the address: view.html?status=error&attacker=Russia&from=2024-01-01&page=2
  var query = new URLSearchParams(location.search);
  [["status", status], ["attacker", attacker], ["target", target], ["from", from], ["to", to]].forEach(function (pair) {
    if (query.has(pair[0])) { pair[1].value = query.get(pair[0]); }
  });
  page = Number(query.get("page")) || 1;

  form.addEventListener("change", refilter);
  form.addEventListener("input", refilter);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  prev.addEventListener("click", function () { page -= 1; show(); window.scrollTo(0, 0); });
  next.addEventListener("click", function () { page += 1; show(); window.scrollTo(0, 0); });
  window.addEventListener("hashchange", follow);
  form.hidden = false;
  if (later) { later.hidden = true; }
  show();
  follow();

  // How soon the page showed and became usable, in ms from navigation start (benchmarks/view_size.py reads these).
  var root = document.documentElement;
  root.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  var paints = performance.getEntriesByName("first-contentful-paint");
  if (paints.length) { root.setAttribute("data-first-paint-ms", String(Math.round(paints[0].startTime))); }
  root.setAttribute("data-js", "ready");
})();
