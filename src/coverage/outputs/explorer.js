// The national map's page: one shared département layer restyled by the indicator picker, a ranking of the
// départements beside it, the DROM in insets, a search, the indicator's table to download, and the sites in
// folded overlays. Exposes window.coverageExplorer for the tests and the benchmark.
function coverageExplorer(map, DATA) {
  "use strict";
  var features = DATA.outlines.features;
  var byCode = {};
  features.forEach(function (f) { byCode[f.properties.code] = f.properties.i; });
  var indicators = {};
  DATA.indicators.forEach(function (ind) {
    ind.values = ind.raw.map(function (text) { var v = parseFloat(text); return isFinite(v) ? v : null; });
    indicators[ind.id] = ind;
  });
  var state = {indicator: DATA.indicators[0], gaps: true, hovered: null};
  var mainLayers = [];
  var insetLayers = [];
  var insetCodes = DATA.insets.map(function (inset) { return inset.code; });

  function styleOf(i) {
    var ind = state.indicator;
    var gap = state.gaps && ind.gaps.length > 0 && ind.gaps[i];
    var style = {fillColor: ind.colors[i], fillOpacity: 0.8, color: "#555", weight: 0.6, dashArray: null};
    if (gap) { style.color = "#c00"; style.weight = 2.5; style.dashArray = "5 4"; }
    if (state.hovered === i) { style.color = "#000"; style.weight = 3; style.dashArray = null; }
    return style;
  }

  function restyle(i) {
    [mainLayers[i], insetLayers[i]].forEach(function (layer) {
      if (!layer) return;
      layer.setStyle(styleOf(i));
      if (state.hovered === i && layer._map) layer.bringToFront();
    });
  }

  function tooltipOf(i) {
    var ind = state.indicator;
    return "<b>" + ind.title + "</b> : " + ind.texts[i] + "<br>" + features[i].properties.tip;
  }

  function bindDepartement(feature, layer, store) {
    var i = feature.properties.i;
    store[i] = layer;
    layer.bindTooltip(function () { return tooltipOf(i); }, {sticky: true});
    layer.on("mouseover", function () { hover(i); });
    layer.on("mouseout", function () { hover(null); });
  }

  function departementLayer(collection, store) {
    return L.geoJSON(collection, {
      style: function (f) { return styleOf(f.properties.i); },
      onEachFeature: function (f, layer) {
        layer.options.className = "coverage-departement dep-" + f.properties.code;
        bindDepartement(f, layer, store);
      },
    });
  }

  var main = departementLayer(DATA.outlines, mainLayers).addTo(map);

  // Insets: one small map per DROM, drawn from the same geometry and style.
  var insetBox = L.control({position: "topleft"});
  insetBox.onAdd = function () {
    var box = L.DomUtil.create("div", "coverage-insets");
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  insetBox.addTo(map);
  var insetMaps = [];
  DATA.insets.forEach(function (inset) {
    var i = byCode[inset.code];
    if (i === undefined) return;
    var frame = L.DomUtil.create("div", "coverage-inset", insetBox.getContainer());
    frame.title = inset.label + " : cliquez pour l'afficher sur la carte";
    var holder = L.DomUtil.create("div", "inset-map", frame);
    L.DomUtil.create("span", "", frame).textContent = inset.label + " (" + inset.code + ")";
    var small = L.map(holder, {
      zoomControl: false, attributionControl: false, dragging: false, scrollWheelZoom: false, doubleClickZoom: false,
      boxZoom: false, keyboard: false, touchZoom: false, zoomSnap: 0.1,
    });
    var layer = departementLayer({type: "FeatureCollection", features: [features[i]]}, insetLayers).addTo(small);
    small.fitBounds(layer.getBounds(), {padding: [3, 3]});
    frame.addEventListener("click", function () { centreOn(i); });
    insetMaps.push(small);
  });

  // Legend.
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () { return L.DomUtil.create("div", "coverage-legend"); };
  legend.addTo(map);

  function drawLegend() {
    var ind = state.indicator;
    var rows = ind.legend.map(function (row) {
      return '<i style="background:' + row[0] + '"></i>' + escapeHtml(row[1]);
    });
    var gapRow = ind.gaps.some(Boolean) && state.gaps
      ? '<br><i style="background:#fff;border:2px dashed #c00;height:7px"></i>écart à une règle de cet indicateur' : "";
    legend.getContainer().innerHTML = "<b>" + escapeHtml(ind.title) + "</b>" + rows.join("<br>") + gapRow
      + '<div class="france">' + escapeHtml(ind.national_text) + "</div>"
      + '<div class="method">' + escapeHtml(ind.method) + "</div>";
  }

  // Ranking.
  var svg = document.getElementById("coverage-ranking");
  var focus = document.getElementById("coverage-ranking-focus");
  var ranked = [];

  function rankingOrder(ind) {
    var known = [], unknown = [];
    ind.values.forEach(function (v, i) { (v === null ? unknown : known).push(i); });
    known.sort(function (a, b) {
      var d = ind.values[b] - ind.values[a];
      return (ind.better === "low" ? -d : d) || (features[a].properties.code < features[b].properties.code ? -1 : 1);
    });
    return {known: known, unknown: unknown};
  }

  function drawRanking() {
    var ind = state.indicator;
    var order = rankingOrder(ind);
    ranked = order.known;
    var width = svg.clientWidth || 300, height = svg.clientHeight || 600;
    var left = 4, right = 8, top = 14, bottom = order.unknown.length ? 16 : 4;
    var step = Math.min((height - top - bottom) / Math.max(ranked.length, 1), 16);  // a few bars stay bars
    var finite = ranked.map(function (i) { return ind.values[i]; }).concat(ind.national === null ? [] : [ind.national]);
    var low = Math.min(0, Math.min.apply(null, finite)), high = Math.max(0, Math.max.apply(null, finite));
    var scale = function (v) { return left + (v - low) / ((high - low) || 1) * (width - left - right); };
    var zero = scale(0);
    var parts = ranked.map(function (i, r) {
      var x = scale(ind.values[i]);
      return '<rect class="bar" data-i="' + i + '" data-code="' + features[i].properties.code + '" data-value="'
        + ind.raw[i] + '" x="'
        + Math.min(x, zero).toFixed(1) + '" y="' + (top + r * step).toFixed(2) + '" width="'
        + Math.max(Math.abs(x - zero), 1.5).toFixed(1) + '" height="' + Math.max(step - 0.6, 0.8).toFixed(2)
        + '" fill="' + ind.colors[i] + '"></rect>';
    });
    if (ind.national !== null) {
      var nx = scale(ind.national).toFixed(1);
      parts.push('<line class="national" x1="' + nx + '" x2="' + nx + '" y1="' + (top - 4) + '" y2="'
        + (height - bottom) + '"></line>');
      var anchor = scale(ind.national) > width / 2 ? "end" : "start";
      parts.push('<text x="' + nx + '" y="10" text-anchor="' + anchor + '">' + escapeHtml(ind.national_text)
        + "</text>");
    }
    if (order.unknown.length) {
      parts.push('<text x="' + left + '" y="' + (height - 4) + '">' + order.unknown.length
        + " département(s) hors classement : " + escapeHtml(ind.missing) + "</text>");
    }
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.innerHTML = parts.join("");
    document.getElementById("coverage-ranking-title").textContent = ind.title + " : classement des départements";
    document.getElementById("coverage-sources").textContent = ind.sources;
    showFocus();
  }

  function showFocus() {
    var i = state.hovered;
    if (i === null) { focus.textContent = "Survolez une barre ou un département."; return; }
    var ind = state.indicator, rank = ranked.indexOf(i);
    var where = rank < 0 ? "" : " — rang " + (rank + 1) + " sur " + ranked.length;
    focus.innerHTML = "<b>" + escapeHtml(features[i].properties.nom + " (" + features[i].properties.code + ")")
      + "</b> : " + escapeHtml(ind.texts[i]) + where;
  }

  function hover(i) {
    if (state.hovered === i) return;
    var before = state.hovered;
    state.hovered = i;
    if (before !== null) restyle(before);
    if (i !== null) restyle(i);
    svg.querySelectorAll("rect.hovered").forEach(function (bar) { bar.classList.remove("hovered"); });
    var bar = i === null ? null : svg.querySelector('rect[data-i="' + i + '"]');
    if (bar) bar.classList.add("hovered");
    showFocus();
  }

  svg.addEventListener("mouseover", function (event) {
    if (event.target.dataset && event.target.dataset.i !== undefined) hover(parseInt(event.target.dataset.i, 10));
  });
  svg.addEventListener("mouseout", function () { hover(null); });
  svg.addEventListener("click", function (event) {
    if (event.target.dataset && event.target.dataset.i !== undefined) centreOn(parseInt(event.target.dataset.i, 10));
  });

  // Picker.
  var picker = document.getElementById("coverage-indicator");
  DATA.themes.forEach(function (theme) {
    var members = DATA.indicators.filter(function (ind) { return ind.theme === theme.id; });
    if (!members.length) return;
    var group = document.createElement("optgroup");
    group.label = theme.label;
    members.forEach(function (ind) {
      var option = document.createElement("option");
      option.value = ind.id;
      option.textContent = ind.title;
      group.appendChild(option);
    });
    picker.appendChild(group);
  });
  picker.addEventListener("change", function () { show(picker.value); });

  function show(id) {
    state.indicator = indicators[id];
    picker.value = id;
    features.forEach(function (f) { restyle(f.properties.i); });
    drawLegend();
    drawRanking();
  }

  // Search.
  var search = document.getElementById("coverage-search");
  var list = document.getElementById("coverage-departements");
  features.forEach(function (f) {
    var option = document.createElement("option");
    option.value = f.properties.nom + " (" + f.properties.code + ")";
    list.appendChild(option);
  });

  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[-'’]/g, " ").toLowerCase().trim();
  }

  function find(text) {
    var wanted = plain(text), inBrackets = /\(([0-9]{2,3}|2[ab])\)$/.exec(wanted);
    var code = inBrackets ? inBrackets[1] : wanted;
    var exact = features.filter(function (f) {
      return plain(f.properties.code) === code || plain(f.properties.nom) === wanted;
    });
    if (exact.length) return exact[0].properties.i;
    var starts = features.filter(function (f) { return plain(f.properties.nom).indexOf(wanted) === 0; });
    return starts.length && wanted ? starts[0].properties.i : null;
  }

  function centreOn(i) {
    map.fitBounds(mainLayers[i].getBounds(), {maxZoom: 8, padding: [30, 30]});
    hover(i);
  }

  function searched() {
    var i = find(search.value);
    search.setCustomValidity(i === null ? "Aucun département ne correspond" : "");
    if (i !== null) centreOn(i);
  }
  search.addEventListener("change", searched);
  search.addEventListener("keydown", function (event) { if (event.key === "Enter") searched(); });

  // Download.
  function csvCell(text) {
    text = String(text);
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  function csv(id) {
    return indicators[id || state.indicator.id].csv.map(function (row) { return row.map(csvCell).join(","); })
      .join("\n") + "\n";
  }
  document.getElementById("coverage-download").addEventListener("click", function () {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([csv()], {type: "text/csv;charset=utf-8"}));
    link.download = state.indicator.id + ".csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });

  // Overlays, folded: the rule outlines and the sites of each service, with their contacts.
  var overlays = {};
  var clusters = [];
  var gapLayer = L.layerGroup().addTo(map);
  overlays["Écarts aux règles (contour rouge tireté)"] = gapLayer;
  map.on("overlayadd overlayremove", function (event) {
    if (event.layer !== gapLayer) return;
    state.gaps = event.type === "overlayadd";
    features.forEach(function (f) { restyle(f.properties.i); });
    drawLegend();
  });
  DATA.services.forEach(function (service) {
    var sites = DATA.sites.filter(function (site) { return site[0] === service.code; });
    var cluster = L.markerClusterGroup({
      showCoverageOnHover: false,
      iconCreateFunction: function (group) {
        return L.divIcon({
          html: '<div style="background:' + service.color + ';color:#fff;border-radius:50%;width:32px;height:32px;'
            + 'line-height:32px;text-align:center;font-weight:bold;border:2px solid #fff;box-shadow:0 0 3px #333">'
            + group.getChildCount() + "</div>",
          className: "coverage-cluster coverage-cluster-" + service.code.toLowerCase(), iconSize: L.point(32, 32),
        });
      },
    });
    cluster.addLayers(sites.map(function (site) {
      return L.circleMarker([site[1], site[2]], {
        radius: 7, color: "#fff", weight: 1.5, fill: true, fillColor: service.color, fillOpacity: 0.95,
        className: "coverage-site coverage-site-" + service.code.toLowerCase(),
      }).bindPopup(site[4], {maxWidth: 320}).bindTooltip(escapeHtml(site[3] + " (" + service.code + ")"));
    }));
    overlays[service.name + " (" + service.code + ", " + sites.length + " sites)"] = cluster;
    if (service.shown) cluster.addTo(map);
    clusters.push(cluster);
  });
  overlays["Fond de carte OpenStreetMap (en ligne)"] = L.tileLayer(
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png", {attribution: "© contributeurs OpenStreetMap", maxZoom: 19}
  );
  L.control.layers(null, overlays, {collapsed: true, position: "topright"}).addTo(map);
  L.control.zoom({position: "topright", zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière"}).addTo(map);

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }

  // Opening view: metropolitan France between the insets and the legend.
  function franceBounds() {
    var bounds = L.latLngBounds([]);
    features.forEach(function (f) {
      if (insetCodes.indexOf(f.properties.code) < 0) bounds.extend(mainLayers[f.properties.i].getBounds());
    });
    return bounds;
  }
  function openingView() {
    var size = map.getSize();
    var insets = insetBox.getContainer().getBoundingClientRect();
    var legendBox = legend.getContainer().getBoundingClientRect();
    map.fitBounds(franceBounds(), {
      paddingTopLeft: [insets.width + 20, 12], paddingBottomRight: [legendBox.width + 22, 12],
      maxZoom: size.y > 0 ? 7 : 6,
    });
  }
  show(state.indicator.id);
  if (!/^#-?[0-9.]+,/.test(location.hash)) openingView();
  window.coverageExplorer = {map: map, show: show, csv: csv, find: find, centreOn: centreOn, mainLayers: mainLayers,
    insetMaps: insetMaps, indicators: indicators, state: state, openingView: openingView, clusters: clusters};
  document.body.dataset.ready = "true";
}
