// Starts Swagger UI from a file, so that the docs page needs no inline script.
// validatorUrl null: the default sends the schema's URL to validator.swagger.io for a badge.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
});
