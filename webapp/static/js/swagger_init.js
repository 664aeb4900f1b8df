// Starts Swagger UI on /api/v1/docs with the configuration the page carries as JSON.
window.addEventListener("load", function () {
  const config = JSON.parse(document.getElementById("swagger-config").textContent);
  window.ui = SwaggerUIBundle(config);
});
