-- The model as Lua sees it: shapes, references, read-only proxies.
local t = require("tests_lua_assert")
local schema = ...

local file
for _, f in ipairs(schema.files) do if f.is_target then file = f end end
t.eq(file.kind, "file", "file kind")
t.eq(file.package, "acme.names.v1", "package")
t.eq(file.syntax, "proto3", "syntax")
t.eq(#file.messages, 2, "messages")
local req = file.messages[1]
t.eq(req.full_name, "acme.names.v1.Req", "full name")
t.eq(req.file, file, "back reference to the file")
local tags = req.fields[2]
t.eq(tags.type, "map", "map field")
t.eq(tags.map.key.type, "string", "map key")
t.eq(tags.map.value.type_ref, file.messages[2], "map value refers to the message table itself")
t.eq(req.fields[3].oneof.name, "_maybe", "proto3 optional in a synthetic oneof")
t.eq(req.fields[3].oneof.synthetic, true, "synthetic")
t.eq(req.fields[3].presence, "explicit", "explicit presence")
t.eq(req.fields[1].presence, "implicit", "implicit presence")
t.eq(req.comments.leading, " The request.\n", "leading comment")
local m = file.services[1].methods[2]
t.eq(m.input, req, "method input is the message")
t.eq(m.server_streaming, true, "streaming")
t.eq(m.loc.line, 17, "location line")
local ok, err = pcall(function() req.name = "x" end)
t.eq(ok, false, "model is read-only")
t.truthy(tostring(err):find("read%-only"), "read-only error message")
local count = 0
for _ in pairs(req) do count = count + 1 end
t.truthy(count > 10, "pairs iterates the proxy")
