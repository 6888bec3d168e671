/* kakehashi dashboard: draw every chart on the page with the locally served Vega-Lite.
   Specs sit in <script type="application/json" id="..."> blocks next to a
   <div class="chart" data-spec="..."> container. No eval: Vega runs with its
   expression interpreter, so the Content-Security-Policy forbids 'unsafe-eval'. */
(function () {
  "use strict";

  var views = {};

  // Fit a spec to a narrow container: shorter axis labels, legend under the plot.
  function fitSpec(node, width) {
    if (!node || typeof node !== "object") { return; }
    if (Array.isArray(node)) { node.forEach(function (n) { fitSpec(n, width); }); return; }
    Object.keys(node).forEach(function (k) {
      var v = node[k];
      if (k === "labelLimit" && typeof v === "number") {
        // at least the width of a wrapped label line (pages.LABEL_WRAP characters), so lines are not cut
        node[k] = Math.min(v, Math.max(150, Math.round(width * 0.42)));
      } else if (typeof v === "object") {
        fitSpec(v, width);
      }
    });
  }

  // Lines of at most `chars` characters, broken at spaces.
  function wrapWords(text, chars) {
    var lines = [], line = "";
    text.split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.length > 1 ? lines : text;
  }

  // Chart titles re-wrapped to the chart's width (the server wraps them for a phone).
  function rewrapTitles(node, width) {
    if (!node || typeof node !== "object") { return; }
    if (Array.isArray(node)) { node.forEach(function (n) { rewrapTitles(n, width); }); return; }
    var t = node.title;
    if (t && typeof t === "object" && !Array.isArray(t)) {
      if (Array.isArray(t.text)) { t.text = wrapWords(t.text.join(" "), Math.floor(width / 8.5)); }
      if (Array.isArray(t.subtitle)) { t.subtitle = wrapWords(t.subtitle.join(" "), Math.floor(width / 6.1)); }
    }
    Object.keys(node).forEach(function (k) {
      if (k !== "title" && typeof node[k] === "object") { rewrapTitles(node[k], width); }
    });
  }

  function narrow(spec, width) {
    rewrapTitles(spec, width);
    // a chart with long axis labels (horizontal bars) leaves little room right of them for a legend
    var labelled = JSON.stringify(spec).indexOf('"labelLimit"') >= 0;
    fitSpec(spec, width);
    // fewer, non-overlapping ticks on the value axis of narrow charts
    spec.config = spec.config || {};
    spec.config.axisX = Object.assign({labelOverlap: true, labelFlush: true,
                                       tickCount: Math.max(3, Math.floor(width / 110))},
                                      spec.config.axisX || {});
    if (width < 620) {
      spec.config = spec.config || {};
      spec.config.legend = spec.config.legend || {};
      spec.config.legend.orient = "bottom";
      spec.config.legend.direction = "horizontal";
      // the legend starts at the plot's left edge: one column beside wide axis labels, else two
      spec.config.legend.columns = labelled ? 1 : 2;
      spec.config.legend.labelLimit = Math.round(width * 0.4);
      // the value axis's title ends at the plot's right edge instead of running past the chart
      spec.config.axisX.titleAnchor = spec.config.axisX.titleAnchor || "end";
    }
    return spec;
  }

  function downloads() {
    document.querySelectorAll("a.chart-download").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        var view = views[a.getAttribute("data-chart")];
        var fmt = a.getAttribute("data-format");
        if (!view) { return; }
        view.toImageURL(fmt, fmt === "png" ? 2 : 1).then(function (url) {
          var link = document.createElement("a");
          link.href = url;
          link.download = a.getAttribute("data-chart") + "." + fmt;
          document.body.appendChild(link);
          link.click();
          link.remove();
        });
      });
    });
  }

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
      spec = narrow(spec, el.clientWidth || window.innerWidth);
      vegaEmbed(el, spec, {
        actions: false,
        renderer: "svg",
        ast: true,
        expr: vega.expressionInterpreter,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true }
      }).then(function (result) {
        views[el.id] = result.view;
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
    downloads();
    disableOnSubmit();
  });
})();
