/* graphmem viz page script: draws the network, the side panel, the search box and the legend.
 *
 * All data comes from the JSON block #gm-data and reaches the DOM through textContent or DOM
 * properties only (never innerHTML), so document text shows as text. window.graphmemViz exposes
 * the network and a ready flag for tests and benchmarks.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("gm-data").textContent);
  var state = {
    ready: false,
    readyMs: null,
    view: data.view,
    selected: null,
    network: null,
    nodes: null,
    edges: null,
    focusNode: focusNode,
    showNode: showNode
  };
  window.graphmemViz = state;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // ---- header ---------------------------------------------------------------------------------
  document.title = data.title;
  document.getElementById("gm-title").textContent = data.title;
  document.getElementById("gm-note").textContent = data.note;
  var info = document.getElementById("gm-info");
  data.info.forEach(function (line) { info.appendChild(el("div", "gm-info-line", line)); });

  // ---- legend ---------------------------------------------------------------------------------
  var legend = document.getElementById("gm-legend");
  data.legend.forEach(function (entry) {
    var row = el("div", "gm-legend-row");
    var swatch = el("span", "gm-swatch gm-swatch-" + entry.swatch);
    if (entry.swatch === "gradient") {
      swatch.style.background = "linear-gradient(to right, " + entry.color + ")";
    } else if (entry.swatch === "line" || entry.swatch === "dashed") {
      swatch.style.borderTopColor = entry.color;
    } else if (entry.swatch !== "note") {
      swatch.style.backgroundColor = entry.color;
      swatch.style.borderColor = entry.border;
    }
    row.appendChild(swatch);
    row.appendChild(el("span", "gm-legend-label", entry.label));
    legend.appendChild(row);
  });

  // ---- network --------------------------------------------------------------------------------
  var container = document.getElementById("gm-graph");
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  state.network = network;
  state.nodes = nodes;
  state.edges = edges;

  function markReady() {
    if (state.ready) return;
    state.ready = true;
    state.readyMs = performance.now();
    document.body.setAttribute("data-ready", "true");
  }

  if (data.options.physics && data.options.physics.enabled && data.nodes.length > 1) {
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: { enabled: false } });
      markReady();
    });
  } else {
    network.once("afterDrawing", markReady);
    window.requestAnimationFrame(function () { window.requestAnimationFrame(markReady); });
  }

  // ---- side panel -----------------------------------------------------------------------------
  var panel = document.getElementById("gm-panel-body");

  function linkOrText(item, className) {
    if (item.node && data.details[item.node]) {
      var button = el("button", className + " gm-link", item.text);
      button.type = "button";
      button.title = "Show this node in the graph";
      button.addEventListener("click", function () { focusNode(item.node); });
      return button;
    }
    return el("span", className, item.text);
  }

  function showNode(id) {
    var d = data.details[id];
    clear(panel);
    state.selected = id;
    if (!d) {
      panel.appendChild(el("p", "gm-muted", "No details for this node."));
      return;
    }
    panel.setAttribute("data-node", id);
    panel.appendChild(el("div", "gm-kind", d.kind));
    panel.appendChild(el("h2", "gm-heading", d.heading));
    var fields = el("dl", "gm-fields");
    d.fields.forEach(function (pair) {
      fields.appendChild(el("dt", null, pair[0]));
      fields.appendChild(el("dd", null, pair[1]));
    });
    panel.appendChild(fields);
    if (d.text !== null && d.text !== undefined) {
      var text = el("div", "gm-text", d.text);
      text.id = "gm-passage-text";
      panel.appendChild(text);
    }
    d.sections.forEach(function (section) {
      if (!section.items.length) return;
      panel.appendChild(el("h3", "gm-section-title", section.title));
      var list = el("ul", "gm-items");
      section.items.forEach(function (item) {
        var li = el("li", "gm-item");
        li.appendChild(linkOrText(item, "gm-item-text"));
        if (item.links && item.links.length) {
          var links = el("div", "gm-item-links");
          links.appendChild(el("span", "gm-muted", "stated in: "));
          item.links.forEach(function (link, i) {
            if (i) links.appendChild(document.createTextNode(", "));
            links.appendChild(linkOrText(link, "gm-item-link"));
          });
          li.appendChild(links);
        }
        list.appendChild(li);
      });
      panel.appendChild(list);
      if (section.more) panel.appendChild(el("div", "gm-muted", section.more));
    });
  }

  function focusNode(id) {
    if (!nodes.get(id)) return false;
    network.selectNodes([id]);
    network.focus(id, { scale: 1.2, animation: false });
    showNode(id);
    return true;
  }

  network.on("click", function (params) {
    if (params.nodes.length) showNode(params.nodes[0]);
  });

  // ---- search ---------------------------------------------------------------------------------
  var names = [];
  var datalist = document.getElementById("gm-names");
  data.nodes.forEach(function (node) {
    var d = data.details[node.id];
    var terms = d && d.search ? d.search : [node.label];
    terms.forEach(function (term, i) {
      if (!term) return;
      names.push({ id: node.id, term: String(term).toLowerCase() });
      if (i === 0) {
        var option = document.createElement("option");
        option.value = String(term);
        datalist.appendChild(option);
      }
    });
  });

  function find(query) {
    var q = query.trim().toLowerCase();
    if (!q) return null;
    var tests = [
      function (t) { return t === q; },
      function (t) { return t.indexOf(q) === 0; },
      function (t) { return t.indexOf(q) >= 0; }
    ];
    for (var k = 0; k < tests.length; k++) {
      for (var i = 0; i < names.length; i++) {
        if (tests[k](names[i].term)) return names[i].id;
      }
    }
    return null;
  }

  var status = document.getElementById("gm-search-status");
  document.getElementById("gm-search").addEventListener("submit", function (event) {
    event.preventDefault();
    var query = document.getElementById("gm-search-input").value;
    var id = find(query);
    if (id && focusNode(id)) {
      status.textContent = "";
    } else {
      status.textContent = query.trim() ? "No node in this view matches \u201c" + query.trim() + "\u201d." : "";
    }
  });
})();
