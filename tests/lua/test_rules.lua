-- The default naming policy against the model of tests/lua/names.proto.
local t = require("tests_lua_assert")
local rules = require("rules.default")
local schema = ...

local file
for _, f in ipairs(schema.files) do if f.is_target then file = f end end
t.eq(rules.module(file), "acme_names_v1", "module name: dots become underscores")
t.eq(rules.module_path(file), "acme_names_v1.py", "module path")
local svc = file.services[1]
t.eq(rules.service_stub(svc), "NameServiceStub", "stub")
t.eq(rules.service_servicer(svc), "NameServiceServicer", "servicer")
local expected = { "get_id", "list_urls", "http_server", "import_", "match_" }
for i, m in ipairs(svc.methods) do
  t.eq(rules.method(m), expected[i], "method " .. m.name)
end
t.eq(rules.field(file.messages[1].fields[1]), "class_", "keyword field escaped")
t.eq(rules.escape("grpc", { grpc = true }), "grpc_", "names the module defines")
