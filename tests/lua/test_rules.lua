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

-- Two rule sets in one Lua state: binding one instance to a policy leaves the
-- other (and the module's own instance) as they were.
local driver = require("emitters.driver")
local quiet = { report = function() end }
local first, second = rules.new(), rules.new()
local policy = driver.apply_policy(first, { module = function(f, default) return "corp." .. default(f) end },
  quiet, "policy.lua")
first.bind(policy)
t.eq(policy.grpc_module(file), "corp.acme_names_v1_grpc", "the bound instance routes its hooks through the policy")
t.eq(second.grpc_module(file), "acme_names_v1_grpc", "another instance is untouched")
t.eq(rules.grpc_module(file), "acme_names_v1_grpc", "the module's own instance is untouched")
