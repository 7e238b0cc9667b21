// The benchmark's marker protocol, as in the app: once the page has rendered, two
// animation frames later (the frame was painted), `ui_painted` prints `first-paint`.
const { invoke } = window.__TAURI__.core;

requestAnimationFrame(() => requestAnimationFrame(() => invoke("ui_painted")));

// Ctrl+W closes the window, as in the app (the process stays, see src/main.rs).
window.addEventListener(
  "keydown",
  (event) => {
    if (event.ctrlKey && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "w") {
      event.preventDefault();
      invoke("close_window");
    }
  },
  true,
);
