// Loaded as a module from a static file: the Content-Security-Policy allows no inline script.
import { initAll } from "./govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
