/// The OpenAPI 3.1 document of the server's API (`GET /openapi.json`,
/// `weft serve --openapi`). Kept by hand beside the routes (API.swift);
/// the tests check it against the server with schemathesis.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Weft server API",
        "version": "1",
        "description": "The HTTP API of `weft serve` (Docs/server.md): run graphs immediately or through the queue, follow queued runs over Server-Sent Events, pause, resume and cancel them, and store graphs."
      },
      "servers": [
        {
          "url": "http://127.0.0.1:8080"
        }
      ],
      "security": [
        {
          "bearerAuth": []
        },
        {}
      ],
      "paths": {
        "/v1/runs": {
          "post": {
            "operationId": "createRun",
            "summary": "Run a graph, immediately or through the queue.",
            "description": "The body names the graph by `graph` (a graph document) or `graph_id` (a stored graph): one of them is needed. With mode `auto` the complexity analyzer decides, and its decision is in the response as `decision`. A run that fails is still a 200: `state` says how it ended.",
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/RunRequest"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "The immediate run ended (succeeded, failed or cancelled).",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ImmediateResult"
                    }
                  }
                }
              },
              "202": {
                "description": "The run was queued.",
                "headers": {
                  "Location": {
                    "description": "The run: `/v1/runs/{id}`.",
                    "schema": {
                      "type": "string"
                    }
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/QueuedRun"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "description": "No graph is stored under `graph_id`.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "422": {
                "$ref": "#/components/responses/Unprocessable"
              }
            }
          },
          "get": {
            "operationId": "listRuns",
            "summary": "List runs, newest first (without their nodes).",
            "parameters": [
              {
                "name": "state",
                "in": "query",
                "required": false,
                "description": "Only runs in this state.",
                "schema": {
                  "type": "string",
                  "enum": [
                    "queued",
                    "running",
                    "succeeded",
                    "failed",
                    "cancelled",
                    "paused",
                    "interrupted"
                  ]
                }
              },
              {
                "name": "tag",
                "in": "query",
                "required": false,
                "description": "Only runs with this tag.",
                "schema": {
                  "type": "string"
                }
              },
              {
                "name": "limit",
                "in": "query",
                "required": false,
                "description": "At most this many runs.",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 1000,
                  "default": 100
                }
              }
            ],
            "responses": {
              "200": {
                "description": "The runs.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/RunList"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              }
            }
          }
        },
        "/v1/runs/{id}": {
          "get": {
            "operationId": "getRun",
            "summary": "Get a run, with its per-node statistics.",
            "parameters": [
              {
                "$ref": "#/components/parameters/RunId"
              }
            ],
            "responses": {
              "200": {
                "description": "The run.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Run"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              }
            }
          }
        },
        "/v1/runs/{id}/events": {
          "get": {
            "operationId": "getRunEvents",
            "summary": "Follow a run's events as a Server-Sent Events stream.",
            "description": "Events `run` (the run's events), `node` (node completions) and `end` (`{\"state\": ...}`, then the stream closes). Each event's id is `E.C` (events and completions sent so far); `Last-Event-ID` or `after` resumes after it.",
            "parameters": [
              {
                "$ref": "#/components/parameters/RunId"
              },
              {
                "name": "after",
                "in": "query",
                "required": false,
                "description": "Send only what came after this event id (`E.C`).",
                "schema": {
                  "type": "string",
                  "pattern": "^[0-9]+\\.[0-9]+$"
                }
              },
              {
                "name": "Last-Event-ID",
                "in": "header",
                "required": false,
                "description": "As `after` (which wins when both are given), set by reconnecting `EventSource` clients.",
                "schema": {
                  "type": "string",
                  "pattern": "^[0-9]+\\.[0-9]+$"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "The event stream, live until the run ends.",
                "content": {
                  "text/event-stream": {
                    "schema": {
                      "description": "One Server-Sent Event: `run` (a run event as a JSON line), `node` (a node completion) or `end`.",
                      "type": "object",
                      "required": ["event", "data"],
                      "properties": {
                        "id": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+$"},
                        "event": {"type": "string", "enum": ["run", "node", "end"]},
                        "data": {"type": "string", "contentMediaType": "application/json"}
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              }
            }
          }
        },
        "/v1/runs/{id}/pause": {
          "post": {
            "operationId": "pauseRun",
            "summary": "Pause a queued or running run.",
            "description": "A running run stops at the next node boundary and becomes `paused`; a queued one becomes `paused` at once.",
            "parameters": [
              {
                "$ref": "#/components/parameters/RunId"
              }
            ],
            "responses": {
              "202": {
                "description": "The pause was requested.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/RunControl"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "409": {
                "$ref": "#/components/responses/Conflict"
              }
            }
          }
        },
        "/v1/runs/{id}/resume": {
          "post": {
            "operationId": "resumeRun",
            "summary": "Queue a paused, failed, cancelled or interrupted run again.",
            "description": "A worker continues it from its journal: completed nodes are restored, not run again.",
            "parameters": [
              {
                "$ref": "#/components/parameters/RunId"
              }
            ],
            "responses": {
              "202": {
                "description": "The resume was requested.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/RunControl"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "409": {
                "$ref": "#/components/responses/Conflict"
              }
            }
          }
        },
        "/v1/runs/{id}/cancel": {
          "post": {
            "operationId": "cancelRun",
            "summary": "Cancel a queued, paused or running run.",
            "description": "A queued or paused run is `cancelled` at once; a running one stops.",
            "parameters": [
              {
                "$ref": "#/components/parameters/RunId"
              }
            ],
            "responses": {
              "202": {
                "description": "The cancel was requested.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/RunControl"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "409": {
                "$ref": "#/components/responses/Conflict"
              }
            }
          }
        },
        "/v1/graphs": {
          "post": {
            "operationId": "storeGraph",
            "summary": "Validate and store a graph document.",
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/Graph"
                  }
                }
              }
            },
            "responses": {
              "201": {
                "description": "The graph is valid and stored.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/GraphStored"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "422": {
                "$ref": "#/components/responses/Unprocessable"
              }
            }
          }
        },
        "/v1/graphs/{id}": {
          "get": {
            "operationId": "getGraph",
            "summary": "Get a stored graph document.",
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "description": "The graph's id (its hash).",
                "schema": {
                  "type": "string",
                  "pattern": "^[0-9a-f]{16,64}$"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "The stored graph document.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Graph"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              }
            }
          }
        },
        "/v1/plugins": {
          "get": {
            "operationId": "listPlugins",
            "summary": "List the plugins and node types graphs on this server can use.",
            "responses": {
              "200": {
                "description": "The allowed plugins and their node types, as `weft plugins --json`.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Plugins"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              }
            }
          }
        },
        "/metrics": {
          "get": {
            "operationId": "getMetrics",
            "summary": "Prometheus metrics in text format.",
            "responses": {
              "200": {
                "description": "The metrics.",
                "content": {
                  "text/plain": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              }
            }
          }
        },
        "/healthz": {
          "get": {
            "operationId": "getHealth",
            "summary": "Health of the server and its store (no token needed).",
            "security": [],
            "responses": {
              "200": {
                "description": "The server and its store are healthy.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Health"
                    }
                  }
                }
              },
              "503": {
                "description": "The store cannot be read.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Health"
                    }
                  }
                }
              }
            }
          }
        },
        "/openapi.json": {
          "get": {
            "operationId": "getOpenAPI",
            "summary": "This OpenAPI document (no token needed).",
            "security": [],
            "responses": {
              "200": {
                "description": "The OpenAPI 3.1 document of this API.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "components": {
        "securitySchemes": {
          "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token of the server's `--token-file`; not needed when the server runs without one."
          }
        },
        "parameters": {
          "RunId": {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The run's id.",
            "schema": {
              "type": "integer",
              "format": "int64",
              "minimum": 1
            }
          }
        },
        "responses": {
          "BadRequest": {
            "description": "Malformed JSON, fields, query or path.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "Unauthorized": {
            "description": "A token is missing or wrong.",
            "headers": {
              "WWW-Authenticate": {
                "description": "`Bearer`.",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "NotFound": {
            "description": "No such run or graph.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "Conflict": {
            "description": "The run is in a state where the request means nothing (the message says which).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "PayloadTooLarge": {
            "description": "The body is over `--max-body-bytes`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "Unprocessable": {
            "description": "A graph that does not validate, names a plugin or library the server does not allow, or inputs that do not fit; the problems are in `diagnostics`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        },
        "schemas": {
          "Error": {
            "type": "object",
            "required": [
              "error"
            ],
            "properties": {
              "error": {
                "type": "object",
                "required": [
                  "status",
                  "message"
                ],
                "properties": {
                  "status": {
                    "type": "integer",
                    "description": "The HTTP status."
                  },
                  "message": {
                    "type": "string"
                  },
                  "diagnostics": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Diagnostic"
                    },
                    "description": "Graph problems only."
                  }
                }
              }
            }
          },
          "Diagnostic": {
            "type": "object",
            "required": [
              "path",
              "severity",
              "message"
            ],
            "properties": {
              "path": {
                "type": "string",
                "description": "The JSON path of the problem in the graph document."
              },
              "node": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "severity": {
                "type": "string",
                "enum": [
                  "error",
                  "warning"
                ]
              },
              "message": {
                "type": "string"
              }
            }
          },
          "RunRequest": {
            "type": "object",
            "description": "One of `graph` and `graph_id` is needed.",
            "additionalProperties": false,
            "oneOf": [
              {"required": ["graph"], "not": {"required": ["graph_id"]}},
              {"required": ["graph_id"], "not": {"required": ["graph"]}}
            ],
            "properties": {
              "graph": {
                "$ref": "#/components/schemas/Graph",
                "description": "A graph document."
              },
              "graph_id": {
                "type": "string",
                "description": "A graph stored by `POST /v1/graphs`, or run before."
              },
              "inputs": {
                "type": "object",
                "description": "The graph's inputs by name (defaults apply)."
              },
              "mode": {
                "type": "string",
                "enum": [
                  "immediate",
                  "queued",
                  "auto"
                ],
                "default": "auto"
              },
              "scheduler": {
                "type": "string",
                "enum": [
                  "sequential",
                  "parallel"
                ],
                "default": "sequential"
              },
              "priority": {
                "type": "integer",
                "minimum": -1000,
                "maximum": 1000,
                "default": 0,
                "description": "Higher runs first among queued runs."
              },
              "tags": {
                "type": "array",
                "maxItems": 32,
                "items": {
                  "type": "string",
                  "maxLength": 100
                },
                "description": "Strings kept with the run."
              },
              "timeout": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 86400,
                "description": "Seconds; the run is cancelled after it (state `failed`)."
              },
              "record": {
                "type": "boolean",
                "default": false,
                "description": "Record an immediate run in the store too (queued runs always are)."
              }
            }
          },
          "Graph": {
            "type": "object",
            "description": "A graph document (Docs/graph-format.md).",
            "required": [
              "weft",
              "nodes"
            ],
            "additionalProperties": true,
            "properties": {
              "weft": {
                "type": "integer",
                "const": 1
              },
              "description": {
                "type": "string"
              },
              "inputs": {
                "type": "object"
              },
              "nodes": {
                "type": "array",
                "items": {
                  "type": "object"
                }
              },
              "edges": {
                "type": "array",
                "items": {
                  "type": "object"
                }
              },
              "outputs": {
                "type": "object"
              }
            }
          },
          "Decision": {
            "type": "object",
            "description": "What the complexity analyzer decided for mode `auto`, one reason per rule checked.",
            "required": [
              "decision",
              "reasons"
            ],
            "properties": {
              "decision": {
                "type": "string",
                "enum": [
                  "immediate",
                  "queued"
                ]
              },
              "reasons": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            }
          },
          "ImmediateResult": {
            "type": "object",
            "required": [
              "mode",
              "state",
              "outputs",
              "steps",
              "duration_ms"
            ],
            "properties": {
              "mode": {
                "type": "string",
                "const": "immediate"
              },
              "state": {
                "type": "string",
                "enum": [
                  "succeeded",
                  "failed",
                  "cancelled"
                ]
              },
              "outputs": {
                "type": "object"
              },
              "steps": {
                "type": "integer"
              },
              "duration_ms": {
                "type": "number"
              },
              "error": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "error_node": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "id": {
                "type": "integer",
                "description": "The recorded run (only with `record`)."
              },
              "decision": {
                "$ref": "#/components/schemas/Decision"
              }
            }
          },
          "QueuedRun": {
            "type": "object",
            "required": [
              "mode",
              "id",
              "state"
            ],
            "properties": {
              "mode": {
                "type": "string",
                "const": "queued"
              },
              "id": {
                "type": "integer"
              },
              "state": {
                "type": "string"
              },
              "decision": {
                "$ref": "#/components/schemas/Decision"
              }
            }
          },
          "Run": {
            "type": "object",
            "required": [
              "id",
              "state",
              "mode",
              "graph_id",
              "inputs",
              "priority",
              "tags",
              "attempts",
              "resumes",
              "created_at"
            ],
            "properties": {
              "id": {
                "type": "integer"
              },
              "state": {
                "type": "string",
                "enum": [
                  "queued",
                  "running",
                  "succeeded",
                  "failed",
                  "cancelled",
                  "paused",
                  "interrupted"
                ]
              },
              "mode": {
                "type": "string",
                "description": "The scheduler: `sequential` or `parallel`."
              },
              "graph_id": {
                "type": "string"
              },
              "inputs": {
                "type": "object"
              },
              "outputs": {
                "type": [
                  "object",
                  "null"
                ]
              },
              "error": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "error_node": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "steps": {
                "type": [
                  "integer",
                  "null"
                ]
              },
              "priority": {
                "type": "integer"
              },
              "tags": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "attempts": {
                "type": "integer"
              },
              "resumes": {
                "type": "integer"
              },
              "worker": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "created_at": {
                "type": "number",
                "description": "Unix seconds."
              },
              "started_at": {
                "type": [
                  "number",
                  "null"
                ],
                "description": "Unix seconds."
              },
              "finished_at": {
                "type": [
                  "number",
                  "null"
                ],
                "description": "Unix seconds."
              },
              "nodes": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/NodeStats"
                },
                "description": "Per node; not in `GET /v1/runs`."
              }
            }
          },
          "NodeStats": {
            "type": "object",
            "required": [
              "node",
              "calls",
              "total_ms",
              "max_ms",
              "attempts"
            ],
            "properties": {
              "node": {
                "type": "string"
              },
              "calls": {
                "type": "integer"
              },
              "total_ms": {
                "type": "number"
              },
              "max_ms": {
                "type": "number"
              },
              "attempts": {
                "type": "integer"
              }
            }
          },
          "RunList": {
            "type": "object",
            "required": [
              "runs"
            ],
            "properties": {
              "runs": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Run"
                }
              }
            }
          },
          "RunControl": {
            "type": "object",
            "required": [
              "id",
              "state",
              "requested"
            ],
            "properties": {
              "id": {
                "type": "integer"
              },
              "state": {
                "type": "string"
              },
              "requested": {
                "type": "string",
                "enum": [
                  "pause",
                  "resume",
                  "cancel"
                ]
              }
            }
          },
          "GraphStored": {
            "type": "object",
            "required": [
              "id",
              "nodes",
              "inputs",
              "outputs",
              "warnings"
            ],
            "properties": {
              "id": {
                "type": "string"
              },
              "nodes": {
                "type": "integer"
              },
              "inputs": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "outputs": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "warnings": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Diagnostic"
                }
              }
            }
          },
          "Plugins": {
            "type": "object",
            "required": [
              "plugins",
              "nodes"
            ],
            "properties": {
              "plugins": {
                "type": "array",
                "items": {
                  "type": "object"
                }
              },
              "nodes": {
                "type": "array",
                "items": {
                  "type": "object"
                }
              }
            }
          },
          "Health": {
            "type": "object",
            "required": [
              "status",
              "store"
            ],
            "properties": {
              "status": {
                "type": "string",
                "enum": [
                  "ok",
                  "unavailable"
                ]
              },
              "store": {
                "type": "string"
              },
              "queued": {
                "type": "integer"
              },
              "workers": {
                "type": "integer"
              }
            }
          }
        }
      }
    }
    """#
}
