-- rules/aristaproto.lua: aristaproto 2.0.0.dev1's casing (expected values are
-- what its compiler's casing.safe_snake_case / pascal_case give), and the
-- services emitter's aristaproto-shaped names and docstrings.
local t = require("tests_lua_assert")
local rules = require("rules.aristaproto")
local services = require("emitters.python.services")

local snake = {
  DoThing2 = "do_thing_2", GetUInt64 = "get_u_int_64", HTTPServer = "http_server", ListURLs = "list_ur_ls",
  getV2 = "get_v_2", GetID = "get_id", say_hello = "say_hello", Int32Value = "int_32_value",
  getHTTP2Stream = "get_http_2_stream", IDs = "i_ds", already = "already", ABC = "abc",
  lowerCamelCase = "lower_camel_case", X = "x", SSLCertificate = "ssl_certificate", v1beta1 = "v1beta1",
  MyRPC = "my_rpc", TEST = "test", DoTHINGRequest = "do_thing_request", my_type = "my_type",
  foo123bar = "foo123bar", Foo2Bar = "foo_2_bar", ABc = "a_bc", V2Foo = "v_2_foo", HTTPMeasure = "http_measure",
  Enum_Variant = "Enum_Variant",
}
for input, expected in pairs(snake) do t.eq(rules.snake(input), expected, "snake(" .. input .. ")") end

local pascal = {
  DoThing2 = "DoThing2", GetUInt64 = "GetUInt64", HTTPServer = "HttpServer", ListURLs = "ListUrLs", getV2 = "GetV2",
  GetID = "GetId", say_hello = "SayHello", Int32Value = "Int32Value", getHTTP2Stream = "GetHttp2Stream",
  IDs = "IDs", already = "Already", ABC = "Abc", X = "X", SSLCertificate = "SslCertificate", v1beta1 = "V1Beta1",
  MyRPC = "MyRpc", TEST = "Test", DoTHINGRequest = "DoThingRequest", ["Nested.RequestMessage"] = "NestedRequestMessage",
  ["Thing.Part"] = "ThingPart", my_type = "MyType", foo123bar = "Foo123Bar", Foo2Bar = "Foo2Bar", ABc = "ABc",
  V2Foo = "V2Foo", Enum_Variant = "EnumVariant",
}
for input, expected in pairs(pascal) do t.eq(rules.pascal(input), expected, "pascal(" .. input .. ")") end

-- the model's names (tests/lua/names.proto)
local schema = ...
local file
for _, f in ipairs(schema.files) do if f.is_target then file = f end end
local svc = file.services[1]
local methods = { "get_id", "list_ur_ls", "http_server", "import_", "match_" }
for i, m in ipairs(svc.methods) do t.eq(rules.method(m), methods[i], "method " .. m.name) end
t.eq(rules.field(file.messages[1].fields[1]), "class_", "keyword field escaped")
t.eq(rules.service_stub(svc), "NameServiceStub", "stub")
t.eq(rules.service_base(svc), "NameServiceBase", "base")

-- client class names: the suffix before "Stub", as aristaproto's
local plan = services.client_plan("sync_async_no_default")
t.eq(services.client_name(rules, svc, plan[1]), "NameServiceSyncStub", "sync client")
t.eq(services.client_name(rules, svc, plan[2]), "NameServiceAsyncStub", "async client")
t.eq(services.client_name(rules, svc, services.client_plan("sync_async")[1]), "NameServiceStub", "default client")
local odd = { service_stub = function() return "Client" end }
t.eq(services.client_name(odd, svc, plan[2]), "ClientAsync", "a stub name without Stub gets the suffix after it")

-- docstrings: detached, leading and trailing comments joined like aristaproto's
local lines = services.joined_comment_lines({
  detached = { " Detached one\n other line\n", " Detached two\n" },
  leading = " Leading with \\ and \"\"\"\n",
  trailing = " Trailing\n",
})
t.eq(table.concat(lines, "|"),
  "Detached one|other line||Detached two||Leading with \\\\ and \\\"\\\"\\\"||Trailing", "joined comments")
t.eq(services.joined_comment_lines({ detached = {} }), nil, "no comment")
t.eq(services.joined_comment_lines({ detached = { "   \n" } }), nil, "a blank comment is none")

-- nested types: flattened (NestedRequestMessage) once the emitter writing the
-- classes hoists them (names.hoist_nested); nested class chains until then
local Names = require("emitters.python.names")
local outer = { kind = "message", name = "Nested" }
local inner = { kind = "message", name = "RequestMessage", parent = outer }
local kind = { kind = "enum", name = "Kind", parent = inner }
local names = Names.new(rules)
t.eq(names:message_qualname(inner), "Nested.RequestMessage", "not hoisted: a nested class")
t.eq(names:enum_qualname(kind), "Nested.RequestMessage.Kind", "not hoisted: a nested enum")
local hoisted = Names.new(rules)
hoisted.hoist_nested = true
t.eq(hoisted:class_name(inner), "NestedRequestMessage", "hoisted: the whole chain")
t.eq(hoisted:message_qualname(inner), "NestedRequestMessage", "hoisted: a top-level class")
t.eq(hoisted:enum_qualname(kind), "NestedRequestMessageKind", "hoisted enum")
local default_names = Names.new(require("rules.default"))
default_names.hoist_nested = true
t.eq(default_names:message_qualname(inner), "Nested.RequestMessage", "default rules never flatten")
