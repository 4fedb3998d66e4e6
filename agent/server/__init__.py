"""The HTTP server (`chemagent api`) and the MCP server (`chemagent mcp`), thin layers over
`Assistant`: `app` builds the FastAPI app; `chat_completions` (OpenAI wire format) and `rest`
hold the routes; `jobs`/`store` the background batch jobs; `security`/`gate`/`errors` the
checks every request passes; `images` decodes uploaded images; `mcp` the MCP tools; `web/` the
chat page."""
