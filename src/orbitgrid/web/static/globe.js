// The run's CZML on a CesiumJS globe, fully offline: Natural Earth II imagery shipped with
// Cesium, no Ion, no geocoder, no terrain server.
async function startGlobe(elementId, czmlUrl) {
  const imagery = await Cesium.TileMapServiceImageryProvider.fromUrl(
    Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"));
  const viewer = new Cesium.Viewer(elementId, {
    baseLayer: new Cesium.ImageryLayer(imagery),
    baseLayerPicker: false,
    geocoder: false,
    sceneModePicker: false,
    navigationHelpButton: false,
    fullscreenButton: false,
    terrainProvider: new Cesium.EllipsoidTerrainProvider(),
    // Draw when something changed, or every 5 simulated seconds: light on laptops.
    requestRenderMode: true,
    skyBox: false,
    skyAtmosphere: false,
    maximumRenderTimeChange: 5,
  });
  window.globeTimes = { viewer: performance.now() };
  viewer.scene.globe.showGroundAtmosphere = false;
  const source = await Cesium.CzmlDataSource.load(czmlUrl);
  await viewer.dataSources.add(source);
  viewer.clock.shouldAnimate = true;
  const clock = viewer.clock;
  const slider = document.getElementById("slider");
  const label = document.getElementById("clock");
  const span = Cesium.JulianDate.secondsDifference(clock.stopTime, clock.startTime);
  slider.addEventListener("input", () => {
    clock.currentTime = Cesium.JulianDate.addSeconds(
      clock.startTime, span * slider.value / 1000, new Cesium.JulianDate());
  });
  clock.onTick.addEventListener(() => {
    const done = Cesium.JulianDate.secondsDifference(clock.currentTime, clock.startTime);
    slider.value = Math.round(1000 * done / span);
    label.textContent = Cesium.JulianDate.toIso8601(clock.currentTime, 0);
  });
  window.orbitgridViewer = viewer;
  window.globeTimes.data = performance.now();
  viewer.scene.globe.tileLoadProgressEvent.addEventListener((queued) => {
    if (queued === 0 && !window.globeReady) {
      window.globeTimes.tiles = performance.now();
      window.globeReady = true;
    }
  });
}
