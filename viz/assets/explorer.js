/* graphmem live explorer: asks the server's /v1 API and draws what it answers.
 *
 * Every string from the API reaches the DOM through textContent or DOM properties (never
 * innerHTML), and vis-network gets plain-text labels and tooltips, so document text shows as
 * text. window.graphmemExplorer exposes the state (hits, documents, network) for tests.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("gx-config").textContent);
  var TOKEN_KEY = "graphmem.explorer.token";
  var NAMESPACE_KEY = "graphmem.explorer.namespace";
  var colors = config.colors;

  var state = {
    ready: false,
    busy: 0,
    namespace: sessionStorage.getItem(NAMESPACE_KEY) || "default",
    namespaces: [],
    query: null,
    trace: null,
    hits: [],
    documents: [],
    expanded: {},
    selected: null,
    settled: true,
    graphNodes: config.graphNodes,
    lastError: null,
    network: null,
    nodes: null,
    edges: null,
    ask: ask,
    expand: expand,
    reloadDocuments: loadDocuments
  };
  window.graphmemExplorer = state;

  // ---- small DOM helpers ----------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function shorten(text, limit) {
    var flat = String(text).split(/\s+/).filter(Boolean).join(" ");
    return flat.length <= limit ? flat : flat.slice(0, Math.max(limit - 1, 1)).trim() + "\u2026";
  }

  function setStatus(text, isError) {
    var status = $("gx-status");
    status.textContent = text || "";
    status.className = isError ? "gx-error" : "";
  }

  // ---- API ------------------------------------------------------------------------------------
  function ApiFailure(status, message) {
    this.status = status;
    this.message = message;
  }

  function api(method, path, params, body) {
    var query = new URLSearchParams(params || {});
    if (body === undefined) query.set("namespace", state.namespace);  // a POST names it in the body
    var headers = { "Accept": "application/json" };
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["Authorization"] = "Bearer " + token;
    var init = { method: method, headers: headers, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    state.busy += 1;
    return fetch(path + "?" + query.toString(), init).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) {
          var err = data && data.error ? data.error : {};
          var text = err.message || response.statusText || "request failed";
          if (response.status === 401) text = "the server needs a bearer token: " + text;
          throw new ApiFailure(response.status, response.status + ": " + text);
        }
        return data;
      });
    }).finally(function () { state.busy -= 1; });
  }

  function failed(what) {
    return function (error) {
      var message = error instanceof ApiFailure ? error.message : String(error);
      state.lastError = what + ": " + message;
      setStatus(state.lastError, true);
    };
  }

  // ---- token and namespace --------------------------------------------------------------------
  $("gx-token").value = sessionStorage.getItem(TOKEN_KEY) || "";
  $("gx-token-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = $("gx-token").value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    setStatus(token ? "token set for this tab" : "no token");
    start();
  });
  $("gx-token-forget").addEventListener("click", function () {
    sessionStorage.removeItem(TOKEN_KEY);
    $("gx-token").value = "";
    setStatus("token forgotten");
  });

  function loadNamespaces() {
    return api("GET", "/v1/namespaces").then(function (listed) {
      var names = listed.namespaces.length ? listed.namespaces : [state.namespace];
      state.namespaces = names;
      if (names.indexOf(state.namespace) < 0 && names.length) state.namespace = names[0];
      var select = $("gx-namespace");
      clear(select);
      names.forEach(function (name) {
        var option = el("option", null, name);
        option.value = name;
        option.selected = name === state.namespace;
        select.appendChild(option);
      });
    });
  }

  $("gx-namespace").addEventListener("change", function (event) {
    state.namespace = event.target.value;
    sessionStorage.setItem(NAMESPACE_KEY, state.namespace);
    resetGraph();
    loadDocuments().catch(failed("documents"));
  });

  // ---- the graph ------------------------------------------------------------------------------
  var nodes = new vis.DataSet([]);
  var edges = new vis.DataSet([]);
  var network = new vis.Network($("gx-graph"), { nodes: nodes, edges: edges }, config.options);
  state.network = network;
  state.nodes = nodes;
  state.edges = edges;
  network.on("stabilizationIterationsDone", function () {
    network.setOptions({ physics: { enabled: false } });
    state.settled = true;
  });

  function palette(node) {
    if (node.kind === "passage") return colors.passage;
    return node.type === config.nounPhrase ? colors.phrase : colors.entity;
  }

  function colorSpec(background, border) {
    return { background: background, border: border,
             highlight: { background: background, border: "#000000" },
             hover: { background: background, border: "#000000" } };
  }

  function tooltip(node, extra) {
    var lines = [node.label, node.kind === "passage" ? "passage " + node.id.slice(8)
                 : "entity (" + (node.type === config.nounPhrase ? "noun phrase" : node.type || "?") + ")"];
    if (node.text) lines.push(shorten(node.text, config.tooltipChars));
    return lines.concat(extra || []).join("\n");
  }

  // A node of a trace: coloured and sized by its PPR score relative to the best one.
  function traceNode(node, peak) {
    var rel = peak > 0 && node.score > 0 ? Math.sqrt(node.score / peak) : 0;
    var background = config.ramp[Math.round(rel * (config.ramp.length - 1))];
    var border = palette(node)[1], width = 1, size = 8 + 32 * rel;
    var label = shorten(node.label, config.labelChars);
    var extra = ["score " + node.score.toPrecision(4)];
    if (node.seed) {
      border = colors.seed; width = 5;
      extra.push("seed of the walk" + (node.seed_weight !== null ? " (weight " + node.seed_weight.toPrecision(3) + ")" : ""));
    }
    if (node.rank !== null) {
      border = colors.hit; width = 5; size = Math.max(size, 16);
      label = "#" + node.rank + " " + label;
      extra.push("retrieved at rank " + node.rank);
    }
    return { id: node.id, label: label, shape: node.kind === "passage" ? "square" : "dot",
             color: colorSpec(background, border), borderWidth: width,
             size: Math.round(size * 100) / 100, title: tooltip(node, extra), data: node };
  }

  // A node reached by expanding: coloured by its kind.
  function plainNode(node, x, y) {
    var p = palette(node);
    return { id: node.id, label: shorten(node.label, config.labelChars), x: x, y: y,
             shape: node.kind === "passage" ? "square" : "dot", color: colorSpec(p[0], p[1]),
             borderWidth: 1, size: 12, title: tooltip(node), data: node };
  }

  function edgeId(e) { return e.kind + "\u0000" + e.source + "\u0000" + e.target; }

  function visEdge(e) {
    var spec = { id: edgeId(e), from: e.source, to: e.target };
    if (e.kind === "fact") {
      var text = e.predicates.join("; ");
      spec.label = shorten(text, 40);
      spec.title = "fact: " + text + " (supported by " + e.weight + " passage" + (e.weight === 1 ? "" : "s") + ")";
      spec.color = colors.fact;
      spec.arrows = { to: { enabled: true, scaleFactor: 0.5 } };
      spec.width = 1 + Math.min(4, Math.log2(Math.max(e.weight, 1)));
    } else if (e.kind === "synonym") {
      spec.label = "\u2248 " + e.weight.toFixed(2);
      spec.title = "synonym: names embed at cosine " + e.weight.toFixed(3);
      spec.color = colors.synonym;
      spec.dashes = true;
    } else {
      spec.title = "mention: the passage names the entity";
      spec.color = colors.mention;
    }
    return spec;
  }

  function addEdges(list) {
    edges.update(list.filter(function (e) { return nodes.get(e.source) && nodes.get(e.target); })
      .map(visEdge));
  }

  function resetGraph() {
    nodes.clear();
    edges.clear();
    state.trace = null;
    state.hits = [];
    state.expanded = {};
    state.selected = null;
    clear($("gx-hits"));
    clear($("gx-explain"));
    clear($("gx-panel-body"));
  }

  function drawTrace(trace) {
    resetGraph();
    state.trace = trace;
    state.hits = trace.hits;
    var peak = trace.nodes.reduce(function (m, n) { return Math.max(m, n.score); }, 0);
    state.settled = trace.nodes.length <= 1;
    network.setOptions({ physics: { enabled: !state.settled } });
    nodes.add(trace.nodes.map(function (n) { return traceNode(n, peak); }));
    addEdges(trace.edges);
    if (state.settled) network.fit();
    else network.stabilize(config.options.physics.stabilization.iterations);
    drawHits(trace);
  }

  // ---- hits and the explanation ---------------------------------------------------------------
  function drawHits(trace) {
    var explain = $("gx-explain");
    explain.appendChild(el("div", "gx-line", "ranked by: " +
      (trace.mode === "ppr" ? "Personalized PageRank" : trace.mode)));
    var seeds = trace.nodes.filter(function (n) { return n.seed; });
    if (seeds.length) {
      explain.appendChild(el("div", "gx-line", "seeds: " + seeds.map(function (n) {
        return n.label + (n.seed_weight !== null ? " (" + n.seed_weight.toPrecision(3) + ")" : "");
      }).join(", ")));
    }
    if (trace.seed_facts.length) {
      explain.appendChild(el("div", "gx-line", "linked facts: " + trace.seed_facts.map(function (f) {
        return "(" + f.subject + " | " + f.predicate + " | " + f.object + ") " + f.score.toFixed(2);
      }).join("; ")));
    }
    var list = $("gx-hits");
    var labels = {};
    trace.nodes.forEach(function (n) { labels[n.id] = n; });
    if (!trace.hits.length) list.appendChild(el("li", "gx-muted", "nothing retrieved"));
    trace.hits.forEach(function (hit, i) {
      var li = el("li", "gx-hit");
      li.dataset.chunkId = hit.chunk_id;
      li.dataset.docId = hit.doc_id;
      var head = el("div", "gx-hit-head");
      head.appendChild(el("span", "gx-rank", "#" + (i + 1)));
      head.appendChild(el("span", "gx-score", hit.score.toFixed(4)));
      var node = labels["passage:" + hit.chunk_id];
      var title = el("button", "gx-link gx-hit-title", node ? node.label : hit.doc_id);
      title.type = "button";
      title.title = "Show this passage in the graph";
      title.addEventListener("click", function () { focusNode("passage:" + hit.chunk_id); });
      head.appendChild(title);
      li.appendChild(head);
      li.appendChild(el("div", "gx-chunk", hit.chunk_id));
      li.appendChild(el("div", "gx-hit-text", hit.text));
      list.appendChild(li);
    });
  }

  function ask(query, topK) {
    state.query = query;
    setStatus("asking\u2026");
    return api("POST", "/v1/trace", {}, { query: query, top_k: topK, nodes: state.graphNodes,
                                          namespace: state.namespace })
      .then(function (trace) {
        drawTrace(trace);
        setStatus(trace.hits.length + " passages, " + trace.nodes.length + " nodes");
        return trace;
      });
  }

  $("gx-query-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var query = $("gx-query").value.trim();
    if (!query) return;
    var topK = parseInt($("gx-topk").value, 10) || 5;
    ask(query, topK).catch(failed("ask"));
  });

  // ---- the side panel and expanding -----------------------------------------------------------
  function field(list, name, value) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(el("dt", null, name));
    list.appendChild(el("dd", null, value));
  }

  function showNode(id) {
    var item = nodes.get(id);
    var panel = $("gx-panel-body");
    clear(panel);
    state.selected = id;
    if (!item) return;
    var n = item.data;
    panel.dataset.node = id;
    panel.appendChild(el("div", "gx-kind", n.kind));
    panel.appendChild(el("h2", "gx-heading", n.label));
    var fields = el("dl", "gx-fields");
    field(fields, "id", n.id);
    field(fields, "type", n.type);
    field(fields, "document", n.doc_id);
    if (n.score !== undefined) field(fields, "PPR score", n.score.toPrecision(4));
    if (n.seed) field(fields, "seed", n.seed_weight !== null ? "weight " + n.seed_weight.toPrecision(3) : "yes");
    if (n.rank !== undefined && n.rank !== null) field(fields, "rank", "#" + n.rank);
    panel.appendChild(fields);
    if (n.text) {
      var text = el("div", "gx-text", n.text);
      text.id = "gx-passage-text";
      panel.appendChild(text);
    }
    var done = state.expanded[id];
    var said = "expanding\u2026";
    if (done) {
      said = done.added.length ? done.added.length + " neighbours added to the graph"
        : "its neighbours were all shown already";
      if (done.more) said += "; " + done.more + " more not shown";
    }
    var note = el("div", "gx-muted gx-expand-note", said);
    panel.appendChild(note);
  }

  function focusNode(id) {
    if (!nodes.get(id)) return false;
    network.selectNodes([id]);
    network.focus(id, { scale: 1.2, animation: false });
    showNode(id);
    return true;
  }

  function expand(id) {
    if (state.expanded[id]) return Promise.resolve(state.expanded[id]);
    return api("GET", "/v1/graph/node", { id: id, limit: String(config.neighbours) })
      .then(function (view) {
        var centre = network.getPositions([id])[id] || { x: 0, y: 0 };
        var fresh = view.nodes.filter(function (n) { return !nodes.get(n.id); });
        var radius = 120 + 6 * fresh.length;
        nodes.add(fresh.map(function (n, i) {
          var angle = 2 * Math.PI * i / Math.max(fresh.length, 1);
          return plainNode(n, centre.x + radius * Math.cos(angle), centre.y + radius * Math.sin(angle));
        }));
        addEdges(view.edges);
        state.expanded[id] = { added: fresh.map(function (n) { return n.id; }), more: view.more,
                               nodes: view.nodes.map(function (n) { return n.id; }) };
        if (state.selected === id) showNode(id);
        return state.expanded[id];
      });
  }

  network.on("click", function (params) {
    if (!params.nodes.length) return;
    var id = params.nodes[0];
    showNode(id);
    expand(id).catch(failed("expand"));
  });

  // ---- documents ------------------------------------------------------------------------------
  function drawDocuments() {
    var list = $("gx-docs");
    clear(list);
    $("gx-doc-count").textContent = "(" + state.documents.length + ")";
    state.documents.forEach(function (doc) {
      var li = el("li", "gx-doc");
      li.dataset.docId = doc.id;
      li.appendChild(el("div", "gx-doc-title", doc.title || doc.id));
      li.appendChild(el("div", "gx-muted gx-doc-id", doc.id + " \u00b7 " + doc.passages +
        " passage" + (doc.passages === 1 ? "" : "s")));
      var button = el("button", "gx-delete", "Delete");
      button.type = "button";
      button.addEventListener("click", function () { deleteClicked(doc, button); });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  // The first click arms the button, a second one within five seconds deletes (no dialog).
  function deleteClicked(doc, button) {
    if (!button.classList.contains("gx-armed")) {
      button.classList.add("gx-armed");
      button.textContent = "Click again to delete";
      setTimeout(function () {
        if (!button.isConnected) return;
        button.classList.remove("gx-armed");
        button.textContent = "Delete";
      }, 5000);
      return;
    }
    button.disabled = true;
    api("DELETE", "/v1/documents/" + encodeURIComponent(doc.id)).then(function (report) {
      setStatus("deleted " + report.doc_id + " (" + report.chunks + " passages, " +
                report.facts + " facts)");
      var stale = nodes.get({ filter: function (item) { return item.data.doc_id === doc.id; } });
      nodes.remove(stale.map(function (item) { return item.id; }));
      return loadDocuments().then(function () {
        if (state.query) return ask(state.query, parseInt($("gx-topk").value, 10) || 5);
      });
    }).catch(function (error) {
      button.disabled = false;
      failed("delete")(error);
    });
  }

  function loadDocuments() {
    return api("GET", "/v1/documents").then(function (listing) {
      state.documents = listing.documents;
      drawDocuments();
    });
  }

  $("gx-docs-reload").addEventListener("click", function () {
    loadDocuments().catch(failed("documents"));
  });

  // ---- legend and start -----------------------------------------------------------------------
  var legend = $("gx-legend-rows");
  config.legend.forEach(function (entry) {
    var row = el("div", "gx-legend-row");
    var swatch = el("span", "gx-swatch gx-swatch-" + entry.swatch);
    if (entry.swatch === "gradient") {
      swatch.style.background = "linear-gradient(to right, " + entry.color + ")";
    } else if (entry.swatch === "line" || entry.swatch === "dashed") {
      swatch.style.borderTopColor = entry.color;
    } else if (entry.swatch !== "note") {
      swatch.style.backgroundColor = entry.color;
      swatch.style.borderColor = entry.border;
    }
    row.appendChild(swatch);
    row.appendChild(el("span", null, entry.label));
    legend.appendChild(row);
  });

  function start() {
    state.lastError = null;
    return loadNamespaces().then(loadDocuments).then(function () {
      if (!state.lastError) setStatus(state.documents.length + " documents in " + state.namespace);
    }).catch(failed("load")).finally(function () {
      state.ready = true;
      document.body.setAttribute("data-ready", "true");
    });
  }

  start();
})();
