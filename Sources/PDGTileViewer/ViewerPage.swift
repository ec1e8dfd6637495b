/// The map page: pan (drag), zoom (wheel, +/− buttons, double-click) through the tile pyramid, switch
/// statistic layers, see the palette legend. Written for this project; it loads nothing from the internet,
/// only `/api/map` and `/tiles/...` from this server. A graticule gives context where there is no base map.
/// `?layer=NAME&z=Z&lon=X&lat=Y` in the address opens a given view (used by the browser test).
enum ViewerPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>viz-workflow tiles</title>
        <style>
          html, body { margin: 0; height: 100%; font: 14px system-ui, sans-serif; background: #1d232a; color: #e8e8e8; }
          #map { position: absolute; inset: 0; overflow: hidden; cursor: grab; background: #2b333c; }
          #map.dragging { cursor: grabbing; }
          #grid, #tiles { position: absolute; inset: 0; }
          #tiles img { position: absolute; image-rendering: pixelated; user-select: none; -webkit-user-drag: none; }
          #tiles img:not([data-loaded]) { visibility: hidden; }
          #panel { position: absolute; top: 12px; left: 12px; background: rgba(20,24,29,.88); padding: 10px 12px;
                   border-radius: 6px; min-width: 220px; box-shadow: 0 2px 8px rgba(0,0,0,.4); }
          #panel h1 { font-size: 15px; margin: 0 0 8px; }
          #panel label { display: block; margin: 3px 0; cursor: pointer; }
          #legend { margin-top: 10px; }
          #legend canvas { width: 200px; height: 14px; display: block; border: 1px solid #555;
                           background-image: linear-gradient(45deg,#777 25%,transparent 25%,transparent 75%,#777 75%),
                                             linear-gradient(45deg,#777 25%,#999 25%,#999 75%,#777 75%);
                           background-size: 8px 8px; background-position: 0 0, 4px 4px; }
          #legend .ends { display: flex; justify-content: space-between; font-size: 12px; width: 202px; }
          #zoom { position: absolute; top: 12px; right: 12px; display: flex; flex-direction: column; gap: 4px; }
          #zoom button { width: 32px; height: 32px; font-size: 18px; border: 0; border-radius: 4px; background: #eee; cursor: pointer; }
          #status { position: absolute; bottom: 8px; left: 12px; font-size: 12px; opacity: .8; }
        </style>
        </head>
        <body>
        <div id="map"><canvas id="grid"></canvas><div id="tiles"></div></div>
        <div id="panel"><h1>Layers</h1><div id="layers"></div><div id="legend"></div></div>
        <div id="zoom"><button id="in" title="zoom in">+</button><button id="out" title="zoom out">−</button></div>
        <div id="status"></div>
        <script>
        "use strict";
        const params = new URLSearchParams(location.search);
        const mapEl = document.getElementById("map"), tilesEl = document.getElementById("tiles");
        const gridEl = document.getElementById("grid"), statusEl = document.getElementById("status");
        let map, layer, zoom = 0, centerX = 0, centerY = 0;   // zoom: fractional level; center in CRS units
        const cache = new Map();

        function matrixFor(z) { return map.matrices.find(m => m.zoom === z); }
        function levels() { return map.matrices.map(m => m.zoom); }
        // CRS units per screen pixel at fractional zoom `zoom`, from the lowest matrix.
        function unitsPerPixel() {
          const m0 = map.matrices[0];
          return m0.tileSpanX / map.tileSize / Math.pow(2, zoom - m0.zoom);
        }
        function tileLevel() {
          const z = Math.round(zoom);
          const ls = levels();
          return Math.max(ls[0], Math.min(ls[ls.length - 1], z));
        }

        function render() {
          const w = mapEl.clientWidth, h = mapEl.clientHeight, upp = unitsPerPixel();
          const left = centerX - w / 2 * upp, top = centerY + h / 2 * upp;
          const z = tileLevel(), m = matrixFor(z);
          const tx0 = Math.max(0, Math.floor((left - m.originX) / m.tileSpanX));
          const tx1 = Math.min(m.matrixWidth - 1, Math.floor((left + w * upp - m.originX) / m.tileSpanX));
          const ty0 = Math.max(0, Math.floor((m.originY - top) / m.tileSpanY));
          const ty1 = Math.min(m.matrixHeight - 1, Math.floor((m.originY - (top - h * upp)) / m.tileSpanY));
          const wanted = new Set();
          for (let x = tx0; x <= tx1 && tx1 - tx0 < 64; x++) {
            for (let y = ty0; y <= ty1 && ty1 - ty0 < 64; y++) {
              const key = `${layer}/${z}/${x}/${y}`;
              wanted.add(key);
              let img = cache.get(key);
              if (!img) {
                img = new Image();
                img.onerror = () => { img.dataset.missing = "1"; img.style.display = "none"; };
                img.onload = () => { img.dataset.loaded = "1"; };
                img.src = `/tiles/${encodeURIComponent(layer)}/${z}/${x}/${y}.png`;
                cache.set(key, img);
              }
              const px = (m.originX + x * m.tileSpanX - left) / upp, py = (top - (m.originY - y * m.tileSpanY)) / upp;
              const size = m.tileSpanX / upp;
              img.style.left = px + "px"; img.style.top = py + "px";
              img.style.width = size + "px"; img.style.height = (m.tileSpanY / upp) + "px";
              if (img.parentNode !== tilesEl) tilesEl.appendChild(img);
            }
          }
          for (const img of Array.from(tilesEl.children)) {
            const key = img.src.split("/tiles/")[1].replace(/\.png$/, "");
            if (!wanted.has(decodeURIComponent(key))) tilesEl.removeChild(img);
          }
          drawGrid(w, h, upp, left, top);
          statusEl.textContent = `${map.tileMatrixSet}  z${z}  center ${centerX.toFixed(5)}, ${centerY.toFixed(5)}`;
        }

        function drawGrid(w, h, upp, left, top) {
          gridEl.width = w; gridEl.height = h;
          const g = gridEl.getContext("2d");
          g.strokeStyle = "rgba(255,255,255,.12)"; g.fillStyle = "rgba(255,255,255,.45)"; g.font = "11px sans-serif";
          const span = w * upp, step = Math.pow(10, Math.floor(Math.log10(span / 4)));
          for (let x = Math.ceil(left / step) * step; x < left + span; x += step) {
            const px = (x - left) / upp; g.beginPath(); g.moveTo(px, 0); g.lineTo(px, h); g.stroke();
            g.fillText(x.toFixed(Math.max(0, -Math.floor(Math.log10(step)))), px + 3, h - 22);
          }
          for (let y = Math.floor(top / step) * step; y > top - h * upp; y -= step) {
            const py = (top - y) / upp; g.beginPath(); g.moveTo(0, py); g.lineTo(w, py); g.stroke();
            g.fillText(y.toFixed(Math.max(0, -Math.floor(Math.log10(step)))), 4, py - 3);
          }
        }

        function showLegend() {
          const l = map.layers.find(l => l.name === layer);
          const legend = document.getElementById("legend");
          legend.innerHTML = "";
          const c = document.createElement("canvas"); c.width = l.legend.length; c.height = 1;
          const g = c.getContext("2d");
          l.legend.forEach((color, i) => { g.fillStyle = color; g.fillRect(i, 0, 1, 1); });
          const ends = document.createElement("div"); ends.className = "ends";
          const fmt = v => v === null || v === undefined ? "data min/max" : (Math.abs(v) >= 100 ? v.toFixed(0) : +v.toPrecision(3));
          ends.innerHTML = `<span>${fmt(l.minimum)}</span><span>${l.name}</span><span>${fmt(l.maximum)}</span>`;
          legend.appendChild(c); legend.appendChild(ends);
        }

        function setLayer(name) {
          layer = name;
          for (const input of document.querySelectorAll("#layers input")) input.checked = input.value === name;
          tilesEl.innerHTML = "";
          showLegend(); render();
          const p = new URLSearchParams(location.search); p.set("layer", name); history.replaceState(null, "", "?" + p);
        }

        function zoomBy(delta, sx, sy) {
          const ls = levels();
          const before = unitsPerPixel();
          const w = mapEl.clientWidth, h = mapEl.clientHeight;
          const ux = centerX + (sx - w / 2) * before, uy = centerY - (sy - h / 2) * before;
          zoom = Math.max(ls[0] - 1, Math.min(ls[ls.length - 1] + 2, zoom + delta));
          const after = unitsPerPixel();
          centerX = ux - (sx - w / 2) * after; centerY = uy + (sy - h / 2) * after;
          render();
        }

        let drag = null;
        mapEl.addEventListener("mousedown", e => { drag = { x: e.clientX, y: e.clientY, cx: centerX, cy: centerY }; mapEl.classList.add("dragging"); });
        addEventListener("mouseup", () => { drag = null; mapEl.classList.remove("dragging"); });
        addEventListener("mousemove", e => {
          if (!drag) return;
          const upp = unitsPerPixel();
          centerX = drag.cx - (e.clientX - drag.x) * upp; centerY = drag.cy + (e.clientY - drag.y) * upp;
          render();
        });
        mapEl.addEventListener("wheel", e => { e.preventDefault(); zoomBy(e.deltaY < 0 ? 0.5 : -0.5, e.clientX, e.clientY); }, { passive: false });
        mapEl.addEventListener("dblclick", e => zoomBy(1, e.clientX, e.clientY));
        document.getElementById("in").onclick = () => zoomBy(1, mapEl.clientWidth / 2, mapEl.clientHeight / 2);
        document.getElementById("out").onclick = () => zoomBy(-1, mapEl.clientWidth / 2, mapEl.clientHeight / 2);
        addEventListener("resize", () => map && render());

        fetch("/api/map").then(r => r.json()).then(m => {
          map = m;
          map.matrices.sort((a, b) => a.zoom - b.zoom);
          const layersEl = document.getElementById("layers");
          for (const l of map.layers) {
            const label = document.createElement("label");
            label.innerHTML = `<input type="radio" name="layer" value="${l.name}"> ${l.name}`;
            label.querySelector("input").onchange = () => setLayer(l.name);
            layersEl.appendChild(label);
          }
          const [w, s, e, n] = map.dataBounds;
          centerX = params.has("lon") ? +params.get("lon") : (w + e) / 2;
          centerY = params.has("lat") ? +params.get("lat") : (s + n) / 2;
          if (params.has("z")) {
            zoom = +params.get("z");
          } else {
            // Fit the data: the fractional zoom at which its width fills about half the window.
            const m0 = map.matrices[0], fit = Math.max(e - w, n - s) / (0.5 * Math.min(mapEl.clientWidth, mapEl.clientHeight));
            zoom = m0.zoom + Math.log2(m0.tileSpanX / map.tileSize / fit);
          }
          const wantedLayer = params.get("layer");
          setLayer(map.layers.some(l => l.name === wantedLayer) ? wantedLayer : map.layers[0].name);
        });
        </script>
        </body>
        </html>
        """#
}
