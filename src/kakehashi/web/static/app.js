/* kakehashi dashboard: draw every chart on the page with the locally served Vega-Lite.
   Specs sit in <script type="application/json" id="..."> blocks next to a
   <div class="chart" data-spec="..."> container. No eval: Vega runs with its
   expression interpreter, so the Content-Security-Policy forbids 'unsafe-eval'. */
(function () {
  "use strict";

  function drawCharts() {
    var nodes = document.querySelectorAll("div.chart[data-spec]");
    nodes.forEach(function (el) {
      var block = document.getElementById(el.getAttribute("data-spec"));
      if (!block) { return; }
      var spec;
      try {
        spec = JSON.parse(block.textContent);
      } catch (err) {
        el.textContent = "chart data could not be read: " + err;
        return;
      }
      if (typeof vegaEmbed !== "function") {
        el.textContent = "charts need JavaScript (vega-embed did not load)";
        return;
      }
      vegaEmbed(el, spec, {
        actions: false,
        renderer: "svg",
        ast: true,
        expr: vega.expressionInterpreter,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true }
      }).then(function () {
        el.setAttribute("data-rendered", "true");
      }).catch(function (err) {
        el.setAttribute("data-rendered", "error");
        el.textContent = "chart failed: " + err;
      });
    });
  }

  function disableOnSubmit() {
    document.querySelectorAll("form[data-busy-label]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (button) {
          button.disabled = true;
          button.textContent = form.getAttribute("data-busy-label");
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    disableOnSubmit();
  });
})();
