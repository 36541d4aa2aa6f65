// Show one run's panels at a time. Without script every panel shows, each headed by its run.
(function () {
  "use strict";
  var chooser = document.getElementById("run-chooser");
  var select = document.getElementById("run-select");
  if (!chooser || !select) { return; }
  function show(run) {
    var panels = document.querySelectorAll(".run-panel");
    for (var i = 0; i < panels.length; i++) {
      panels[i].hidden = panels[i].getAttribute("data-run") !== run;
    }
    var marked = document.querySelectorAll("tr[data-run], g.point[data-run]");
    for (var j = 0; j < marked.length; j++) {
      marked[j].classList.toggle("selected", marked[j].getAttribute("data-run") === run);
    }
    document.body.setAttribute("data-selected-run", run);
  }
  select.addEventListener("change", function () { show(select.value); });
  chooser.hidden = false;
  document.body.classList.add("one-run");
  show(select.value);
  document.documentElement.setAttribute("data-js", "ready");
})();
