// The pages of the project's interactive maps, drawn from one data block each: the national map
// (coverageExplorer: one shared département layer restyled by the indicator picker, a ranking beside it, the DROM
// in insets, a search, the indicator's table to download) and the région maps (coverageAreaMap: one shared commune
// layer restyled by the service picked, isochrones, sites, outlines and siting proposals in folded overlays, a
// commune search). Both share the pieces of coverageShared. Each exposes what it drew as window.coveragePage (and
// under its own name) for the tests and the benchmarks, and sets document.body.dataset.ready once drawn.
var coverageShared = (function () {
  "use strict";

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }

  // Text as a search compares it: no accents, no case, hyphens and apostrophes as spaces.
  function plain(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[-'’]/g, " ").toLowerCase().trim();
  }

  // The layers of a TopoJSON topology as GeoJSON feature collections, by name.
  function layersOf(topology) {
    var layers = {};
    Object.keys(topology.objects).forEach(function (name) { layers[name] = topojson.feature(topology, topology.objects[name]); });
    return layers;
  }

  // The picker's options grouped by theme: themes [{id, label}], choices [{value, title, theme}].
  function fillPicker(select, themes, choices) {
    themes.forEach(function (theme) {
      var members = choices.filter(function (choice) { return choice.theme === theme.id; });
      if (!members.length) return;
      var group = document.createElement("optgroup");
      group.label = theme.label;
      members.forEach(function (choice) {
        var option = document.createElement("option");
        option.value = choice.value;
        option.textContent = choice.title;
        group.appendChild(option);
      });
      select.appendChild(group);
    });
  }

  function legendControl(map) {
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () { return L.DomUtil.create("div", "coverage-legend"); };
    legend.addTo(map);
    return legend;
  }

  // Legend rows: [[colour, text], ...] as HTML.
  function legendRows(rows) {
    return rows.map(function (row) { return '<i style="background:' + row[0] + '"></i>' + escapeHtml(row[1]); })
      .join("<br>");
  }

  // One clustered overlay per service, each site a circle with its contact popup: services [{code, name, color,
  // shown}], sites [[service, lat, lon, name, popup HTML]]. Returns [{label, layer, shown}].
  function siteClusters(services, sites) {
    return services.map(function (service) {
      var own = sites.filter(function (site) { return site[0] === service.code; });
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
      cluster.addLayers(own.map(function (site) {
        return L.circleMarker([site[1], site[2]], {
          radius: 7, color: "#fff", weight: 1.5, fill: true, fillColor: service.color, fillOpacity: 0.95,
          className: "coverage-site coverage-site-" + service.code.toLowerCase(),
        }).bindPopup(site[4], {maxWidth: 320}).bindTooltip(escapeHtml(site[3] + " (" + service.code + ")"));
      }));
      return {label: service.name + " (" + service.code + ", " + own.length + " sites)", layer: cluster,
              shown: service.shown};
    });
  }

  // The legend of the site markers on the map: each service shown, its colour, and what a numbered disc is.
  function siteLegend(map, services, clusters) {
    var shown = services.filter(function (service, k) { return map.hasLayer(clusters[k].layer); });
    if (!shown.length) return "";
    return '<div class="sites"><b>Sites</b> (disque numéroté : sites regroupés, cliquer pour les détailler)<br>'
      + shown.map(function (service) {
        return '<i class="site" style="background:' + service.color + '"></i>'
          + escapeHtml(service.name + " (" + service.code + ")");
      }).join("<br>") + "</div>";
  }

  function osmTiles() {
    return L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                       {attribution: "© contributeurs OpenStreetMap", maxZoom: 19});
  }

  // The layer control (folded, overlays only) and the zoom buttons: overlays [{label, layer, shown}].
  function controls(map, overlays) {
    var named = {};
    overlays.forEach(function (overlay) {
      named[overlay.label] = overlay.layer;
      if (overlay.shown) overlay.layer.addTo(map);
    });
    L.control.layers(null, named, {collapsed: true, position: "topright"}).addTo(map);
    L.control.zoom({position: "topright", zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière"}).addTo(map);
  }

  // Opened as page.html#lat,lon[,zoom] (the directory's links), centre there with a ring on the point; whether it did.
  function centreOnHash(map) {
    var found = location.hash.match(/^#(-?[0-9.]+),(-?[0-9.]+)(?:,([0-9]+))?$/);
    if (!found) return false;
    var point = [parseFloat(found[1]), parseFloat(found[2])];
    map.setView(point, found[3] ? parseInt(found[3], 10) : 15);
    L.circleMarker(point, {radius: 16, color: "#000", weight: 3, fill: false, className: "coverage-target"}).addTo(map);
    return true;
  }

  // The search box: entries [{name, code}] listed as "name (code)"; typing a name, a code or a suggestion then
  // Enter calls found(position); a text matching nothing is marked invalid.
  function searchBox(entries, found) {
    var input = document.getElementById("coverage-search");
    var list = document.getElementById("coverage-search-list");
    if (!input) return function () { return null; };
    entries.forEach(function (entry) {
      var option = document.createElement("option");
      option.value = entry.name + " (" + entry.code + ")";
      list.appendChild(option);
    });
    var names = entries.map(function (entry) { return plain(entry.name); });
    var codes = entries.map(function (entry) { return plain(entry.code); });

    function find(text) {
      var wanted = plain(text), inBrackets = /\(([0-9a-z]+)\)$/.exec(wanted);
      var code = inBrackets ? inBrackets[1] : wanted;
      var exact = codes.indexOf(code);
      if (exact < 0) exact = names.indexOf(inBrackets ? wanted.slice(0, inBrackets.index).trim() : wanted);
      if (exact >= 0) return exact;
      if (!wanted) return null;
      for (var i = 0; i < names.length; i++) if (names[i].indexOf(wanted) === 0) return i;
      return null;
    }

    function searched() {
      var i = find(input.value);
      input.setCustomValidity(i === null ? "Aucun résultat ne correspond" : "");
      if (i !== null) found(i);
    }
    input.addEventListener("change", searched);
    input.addEventListener("keydown", function (event) { if (event.key === "Enter") searched(); });
    return find;
  }

  return {escapeHtml: escapeHtml, plain: plain, layersOf: layersOf, fillPicker: fillPicker,
          legendControl: legendControl, legendRows: legendRows, siteClusters: siteClusters, siteLegend: siteLegend,
          osmTiles: osmTiles,
          controls: controls, centreOnHash: centreOnHash, searchBox: searchBox};
})();


function coverageExplorer(map, DATA) {
  "use strict";
  var S = coverageShared, escapeHtml = S.escapeHtml;
  var outlines = S.layersOf(DATA.topology).departements;
  var features = outlines.features;
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

  function departementLayer(collection, store) {
    return L.geoJSON(collection, {
      style: function (f) { return styleOf(f.properties.i); },
      onEachFeature: function (f, layer) {
        var i = f.properties.i;
        layer.options.className = "coverage-departement dep-" + f.properties.code;
        store[i] = layer;
        layer.bindTooltip(function () { return tooltipOf(i); }, {sticky: true});
        layer.on("mouseover", function () { hover(i); });
        layer.on("mouseout", function () { hover(null); });
      },
    });
  }

  departementLayer(outlines, mainLayers).addTo(map);

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

  var legend = S.legendControl(map);

  function drawLegend() {
    var ind = state.indicator;
    var gapRow = ind.gaps.some(Boolean) && state.gaps
      ? '<br><i style="background:#fff;border:2px dashed #c00;height:7px"></i>écart à une règle de cet indicateur' : "";
    legend.getContainer().innerHTML = "<b>" + escapeHtml(ind.title) + "</b>" + S.legendRows(ind.legend) + gapRow
      + '<div class="france">' + escapeHtml(ind.national_text) + "</div>"
      + (clusters ? S.siteLegend(map, DATA.services, clusters) : "")
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

  var picker = document.getElementById("coverage-indicator");
  S.fillPicker(picker, DATA.themes, DATA.indicators.map(function (ind) {
    return {value: ind.id, title: ind.title, theme: ind.theme};
  }));
  picker.addEventListener("change", function () { show(picker.value); });

  function show(id) {
    state.indicator = indicators[id];
    picker.value = id;
    features.forEach(function (f) { restyle(f.properties.i); });
    drawLegend();
    drawRanking();
  }

  function centreOn(i) {
    map.fitBounds(mainLayers[i].getBounds(), {maxZoom: 8, padding: [30, 30]});
    hover(i);
  }

  var find = S.searchBox(features.map(function (f) { return {name: f.properties.nom, code: f.properties.code}; }),
                         centreOn);

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

  // Overlays, folded: the rule outlines, the sites of each service with their contacts, the background.
  var gapLayer = L.layerGroup();
  map.on("overlayadd overlayremove", function (event) {
    if (event.layer === gapLayer) {
      state.gaps = event.type === "overlayadd";
      features.forEach(function (f) { restyle(f.properties.i); });
    }
    drawLegend();
  });
  var clusters = S.siteClusters(DATA.services, DATA.sites);
  S.controls(map, [{label: "Écarts aux règles (contour rouge tireté)", layer: gapLayer, shown: true}].concat(
    clusters, [{label: "Fond de carte OpenStreetMap (en ligne)", layer: S.osmTiles(), shown: false}]));

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
  if (!S.centreOnHash(map)) openingView();
  window.coverageExplorer = window.coveragePage = {map: map, show: show, csv: csv, find: find, centreOn: centreOn,
    mainLayers: mainLayers, insetMaps: insetMaps, indicators: indicators, state: state, openingView: openingView,
    clusters: clusters.map(function (c) { return c.layer; })};
  document.body.dataset.ready = "true";
}


function coverageAreaMap(map, DATA) {
  "use strict";
  var S = coverageShared, escapeHtml = S.escapeHtml;
  var layers = S.layersOf(DATA.topology);
  var communes = DATA.communes;
  var features = layers.communes.features;
  var services = {};
  DATA.services.forEach(function (service) { services[service.title] = service; });
  var state = {service: services[DATA.opening], hovered: null};
  var communeLayers = [];

  function styleOf(i) {
    var style = {fillColor: DATA.classes[+state.service.classes[i]].color, fillOpacity: 0.7, color: "#666",
                 weight: 0.4};
    if (state.hovered === i) { style.color = "#000"; style.weight = 3; }
    return style;
  }

  function tooltipOf(i) {
    var lines = ["<b>" + escapeHtml(communes.nom[i]) + " (" + communes.code[i] + ")</b>",
                 "Population : " + communes.population[i]];
    DATA.services.forEach(function (service) {
      var nearest = service.nearest[i];
      lines.push(service.code + " : " + (nearest === -2 ? escapeHtml(DATA.unknown)
        : nearest < 0 ? escapeHtml(DATA.unreached)
        : service.minutes[i] + " min (" + escapeHtml(DATA.site_names[nearest]) + ")"));
    });
    return lines.join("<br>");
  }

  // The opening view first (the région between its borders and the legend, or the point of the address's fragment),
  // so that the communes are drawn once, at that zoom.
  var legend = S.legendControl(map);
  if (!S.centreOnHash(map)) {
    var legendBox = legend.getContainer().getBoundingClientRect();
    map.fitBounds(DATA.view, {paddingTopLeft: [12, 12], paddingBottomRight: [Math.max(legendBox.width, 200) + 22, 12]});
  }

  // Drawn on a canvas: thousands of polygons draw and restyle several times faster than as SVG elements.
  var communeLayer = L.geoJSON(layers.communes, {
    renderer: L.canvas({padding: 0.5}),
    style: function (f) { return styleOf(f.properties.i); },
    onEachFeature: function (f, layer) {
      var i = f.properties.i;
      layer.options.className = "coverage-commune";
      communeLayers[i] = layer;
      layer.bindTooltip(function () { return tooltipOf(i); }, {sticky: true});
      layer.on("mouseover", function () { hover(i); });
      layer.on("mouseout", function () { hover(null); });
    },
  }).addTo(map);

  function hover(i) {
    if (state.hovered === i) return;
    var before = state.hovered;
    state.hovered = i;
    [before, i].forEach(function (k) {
      if (k === null || !communeLayers[k]) return;
      communeLayers[k].setStyle(styleOf(k));
      if (k === i) communeLayers[k].bringToFront();
    });
  }

  function drawLegend() {
    var container = legend.getContainer();
    container.dataset.layer = state.service.title;
    container.innerHTML = "<b>" + escapeHtml(state.service.title) + "</b>"
      + S.legendRows(DATA.classes.map(function (c) { return [c.color, c.label]; }))
      + (clusters ? S.siteLegend(map, DATA.site_services, clusters) : "")
      + (alone && alone.some(function (entry) { return map.hasLayer(entry.layer); })
        ? '<div class="alone">Sites sans relais : disque proportionnel aux habitants que seul ce site du service met à'
          + " moins de " + DATA.alone_threshold + " min (ils en seraient plus loin s'il fermait)</div>" : "")
      + (ehpad && ehpad.some(function (entry) { return map.hasLayer(entry.layer); })
        ? '<div class="ehpad">EHPAD : point coloré selon les minutes depuis la base de l\'EMSP la plus proche'
          + " (mêmes classes que les communes)</div>" : "")
      + '<div class="method">' + escapeHtml(DATA.sources) + "</div>";
  }

  var picker = document.getElementById("coverage-indicator");
  S.fillPicker(picker, [{id: "time", label: DATA.theme}], DATA.services.map(function (service) {
    return {value: service.title, title: service.title, theme: "time"};
  }));
  picker.addEventListener("change", function () { show(picker.value); });

  function show(title) {
    state.service = services[title];
    picker.value = title;
    communeLayers.forEach(function (layer, i) { layer.setStyle(styleOf(i)); });
    drawLegend();
  }

  function centreOn(i) {
    if (!communeLayers[i]) return;  // a commune without a polygon in the boundaries
    map.fitBounds(communeLayers[i].getBounds(), {maxZoom: 12, padding: [30, 30]});
    hover(i);
  }
  var find = S.searchBox(communes.code.map(function (code, i) { return {name: communes.nom[i], code: code}; }),
                         centreOn);

  // Overlays, built when first shown: each service's isochrone bands, the siting proposals.
  function lazy(build) {
    var group = L.layerGroup(), built = false;
    group.on("add", function () { if (!built) { built = true; build(group); } });
    return group;
  }

  var isochrones = DATA.services.map(function (service) {
    return {label: "Isochrones " + service.code + " (par la route)", shown: service.title === DATA.opening,
            layer: lazy(function (group) {
              var bands = DATA.bands[service.code];
              if (!layers["bands_" + service.code]) return;  // no road reached within the thresholds
              L.geoJSON(layers["bands_" + service.code], {
                style: function (f) {
                  return {fillColor: DATA.classes[bands[f.properties.i][1]].color, fillOpacity: 0.35, weight: 0};
                },
                onEachFeature: function (f, layer) {
                  layer.options.className = "coverage-isochrone";
                  layer.bindTooltip(bands[f.properties.i][0], {sticky: true});
                },
              }).addTo(group);
            })};
  });
  var outlines = {label: "Limites des départements", shown: true, layer: L.geoJSON(layers.departements, {
    style: function () { return {fill: false, color: "#222", weight: 2}; },
    onEachFeature: function (f, layer) { layer.options.className = "coverage-outline"; },
  })};
  var proposals = DATA.siting.map(function (siting) {
    return {label: "Propositions d'implantation " + siting.service, shown: false, layer: lazy(function (group) {
      siting.proposals.forEach(function (proposal) {
        var color = DATA.siting_colors[proposal.color];
        proposal.communes.forEach(function (i) {
          L.geoJSON(features[i], {style: function () {
            return {fillColor: color, fillOpacity: 0.45, color: color, weight: 1.5, className: "coverage-siting-area"};
          }}).bindTooltip(escapeHtml(communes.nom[i]) + " : " + escapeHtml(proposal.name), {sticky: true})
            .addTo(group);
        });
        L.circleMarker([proposal.lat, proposal.lon], {
          radius: 11, color: "#000", weight: 3, fill: true, fillColor: color, fillOpacity: 1,
          className: "coverage-proposal",
        }).bindPopup(proposal.popup, {maxWidth: 300}).addTo(group);
      });
    })};
  });
  // Each service's sites without backup: a circle sized by the people only that site brings within the threshold.
  var alone = DATA.alone.map(function (entry) {
    return {label: "Sites sans relais " + entry.service + " (" + DATA.alone_threshold + " min)", shown: false,
            layer: lazy(function (group) {
              entry.sites.forEach(function (site) {
                L.circleMarker([site[0], site[1]], {
                  radius: site[2], color: "#222", weight: 1.5, fill: true, fillColor: entry.color, fillOpacity: 0.55,
                  className: "coverage-alone",
                }).bindPopup(site[3], {maxWidth: 300}).addTo(group);
              });
            })};
  });
  // The nursing homes (EHPAD), coloured by the minutes from the nearest EMSP base in the map's classes.
  var ehpad = DATA.ehpad.length ? [{label: "EHPAD : minutes depuis l'EMSP la plus proche", shown: false,
    layer: lazy(function (group) {
      DATA.ehpad.forEach(function (home) {
        L.circleMarker([home[0], home[1]], {
          radius: 5, color: "#222", weight: 1, fill: true, fillColor: home[2], fillOpacity: 0.9,
          className: "coverage-ehpad",
        }).bindPopup(home[3], {maxWidth: 300}).addTo(group);
      });
    })}] : [];
  // Each service's catchments: the communes each site is nearest to, merged along the borders they share.
  var geometries = [];
  (DATA.topology.objects.communes ? DATA.topology.objects.communes.geometries : []).forEach(function (g) {
    geometries[g.properties.i] = g;
  });
  var catchments = DATA.catchments.map(function (entry) {
    return {label: "Aires de recrutement " + entry.service, shown: false, layer: lazy(function (group) {
      entry.catchments.forEach(function (catchment) {
        var parts = catchment.communes.map(function (i) { return geometries[i]; }).filter(Boolean);
        if (!parts.length) return;
        var color = DATA.catchment_colors[catchment.color];
        L.geoJSON(topojson.merge(DATA.topology, parts), {style: function () {
          return {fillColor: color, fillOpacity: 0.55, color: "#000", weight: 3, className: "coverage-catchment"};
        }}).bindPopup(catchment.popup, {maxWidth: 320}).addTo(group);
      });
    })};
  });
  var clusters = S.siteClusters(DATA.site_services, DATA.sites);
  S.controls(map, [{label: "Fond de carte OpenStreetMap (en ligne)", layer: S.osmTiles(), shown: true}].concat(
    isochrones, [outlines], clusters, proposals, alone, catchments, ehpad));
  map.on("overlayadd overlayremove", drawLegend);

  show(state.service.title);
  window.coverageAreaMap = window.coveragePage = {map: map, show: show, find: find, centreOn: centreOn,
    communeLayer: communeLayer, communeLayers: communeLayers, state: state, colorOf: function (i) {
      return DATA.classes[+state.service.classes[i]].color; }, clusters: clusters.map(function (c) { return c.layer; })};
  document.body.dataset.ready = "true";
}
