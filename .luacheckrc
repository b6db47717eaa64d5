-- luacheck configuration (make lint): scripts run in moonstub's Lua 5.4 sandbox.
std = "lua54"
max_line_length = 120
-- modules return tables and define no globals
allow_defined_top = false
-- `self` of methods that do not use it, and `_` placeholders
unused_args = true
ignore = { "212/self", "212/_.*", "213/_.*" }
self = false
files["tests/lua/**/*.lua"] = { globals = { "schema", "host", "options" } }
