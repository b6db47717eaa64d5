-- The lazy model (nodes converted on first read), host.release, file.declarations,
-- emitters/pack.lua and moonstub.native.py_bytes_pieces.
local t = require("tests_lua_assert")
local pack = require("emitters.pack")
local native = require("moonstub.native")
local schema, _, host = ...

t.eq(type(host), "table", "--lua-test scripts get the host as their third argument")
t.eq(type(host.release), "function", "host.release")
t.eq(type(host.parallel), "function", "host.parallel")

-- pcall(fn): the error message, failing when fn did not raise.
local function raises(fn, what)
  local ok, err = pcall(fn)
  t.eq(ok, false, what .. " raises")
  return tostring(err)
end

local function read_only_error(fn, key, what)
  local err = raises(fn, what)
  t.truthy(err:find('the schema model is read-only (tried to set "' .. key .. '")', 1, true),
    what .. ": read-only error, got " .. err)
end

-- ---- writes refused on a node never read ---------------------------------------------
-- nothing of the file's messages has been read yet: schema.files[1].messages[2] is an
-- unfilled proxy until a key of it is read
local file
for _, f in ipairs(schema.files) do if f.is_target then file = f end end
read_only_error(function() file.messages[2].name = "Other" end, "name", "write to an unfilled message")
read_only_error(function() file.services[1].methods[5].input = false end, "input", "write to an unfilled method")
read_only_error(function() file.messages[1].fields[2].map.value.number = 7 end, "number", "write to a map value field")
t.eq(file.messages[2].name, "Val", "a refused write leaves the node as it was")
t.eq(getmetatable(file.messages[1].fields[1]), "read-only", "getmetatable of a node")

-- ---- what a file weighs: file.declarations ---------------------------------------------
-- messages (nested and map entries too), fields, oneofs, extensions, enums, values,
-- services and methods, counted by walking the model
local function count_enum(e) return 1 + #e.values end
local function count_message(m)
  local n = 1 + #m.fields + #m.oneofs + #m.extensions
  for _, nested in ipairs(m.messages) do n = n + count_message(nested) end
  for _, e in ipairs(m.enums) do n = n + count_enum(e) end
  return n
end
local function count_file(f)
  local n = #f.extensions
  for _, m in ipairs(f.messages) do n = n + count_message(m) end
  for _, e in ipairs(f.enums) do n = n + count_enum(e) end
  for _, s in ipairs(f.services) do n = n + 1 + #s.methods end
  return n
end
t.eq(math.type(file.declarations), "integer", "declarations is an integer")
t.eq(file.declarations, count_file(file), "declarations: the count of the file's declarations")
-- names.proto: Req (3 fields, the synthetic oneof _maybe, TagsEntry with key and value),
-- Val (1 field), NameService (5 methods)
t.eq(file.declarations, 16, "declarations of names.proto")
for _, f in ipairs(schema.files) do
  t.eq(f.declarations, count_file(f), "declarations of " .. f.path)
end

-- ---- a deep snapshot of the file --------------------------------------------------------
local KEYS = { "kind", "name", "full_name", "number", "type", "type_name", "label", "presence", "json_name",
  "synthetic", "client_streaming", "server_streaming", "is_map_entry", "closed" }

-- Every node of the file (depth first, declaration order), each as a line of its keys.
local function snapshot(f)
  local lines = {}
  local function node_line(node, depth)
    local parts = { string.rep(" ", depth) }
    for _, key in ipairs(KEYS) do
      local value = node[key]
      if value ~= nil then parts[#parts + 1] = key .. "=" .. tostring(value) end
    end
    if node.loc then parts[#parts + 1] = string.format("@%s:%d:%d", node.loc.file, node.loc.line, node.loc.col) end
    if node.type_ref then parts[#parts + 1] = "ref=" .. node.type_ref.full_name end
    if node.oneof then parts[#parts + 1] = "oneof=" .. node.oneof.name end
    if node.input then parts[#parts + 1] = node.input.full_name .. "->" .. node.output.full_name end
    if node.comments and node.comments.leading then parts[#parts + 1] = "doc=" .. node.comments.leading end
    lines[#lines + 1] = table.concat(parts, " ")
  end
  local walk_message
  local function walk_enum(e, depth)
    node_line(e, depth)
    for _, v in ipairs(e.values) do node_line(v, depth + 1) end
  end
  walk_message = function(m, depth)
    node_line(m, depth)
    for _, field in ipairs(m.fields) do
      node_line(field, depth + 1)
      if field.map then
        node_line(field.map.key, depth + 2)
        node_line(field.map.value, depth + 2)
      end
    end
    for _, o in ipairs(m.oneofs) do node_line(o, depth + 1) end
    for _, x in ipairs(m.extensions) do node_line(x, depth + 1) end
    for _, nested in ipairs(m.messages) do walk_message(nested, depth + 1) end
    for _, e in ipairs(m.enums) do walk_enum(e, depth + 1) end
  end
  lines[#lines + 1] = string.format("file %s %s %s %d", f.path, f.package, f.syntax, f.declarations)
  for _, m in ipairs(f.messages) do walk_message(m, 1) end
  for _, e in ipairs(f.enums) do walk_enum(e, 1) end
  for _, s in ipairs(f.services) do
    node_line(s, 1)
    for _, method in ipairs(s.methods) do node_line(method, 2) end
  end
  for _, x in ipairs(f.extensions) do node_line(x, 1) end
  return table.concat(lines, "\n")
end

-- Every node proxy of the file, in walking order.
local function all_nodes(f)
  local nodes = { f }
  local function add(node) nodes[#nodes + 1] = node end
  local function walk_message(m)
    add(m)
    for _, field in ipairs(m.fields) do add(field) end
    for _, o in ipairs(m.oneofs) do add(o) end
    for _, x in ipairs(m.extensions) do add(x) end
    for _, nested in ipairs(m.messages) do walk_message(nested) end
    for _, e in ipairs(m.enums) do
      add(e)
      for _, v in ipairs(e.values) do add(v) end
    end
  end
  for _, m in ipairs(f.messages) do walk_message(m) end
  for _, e in ipairs(f.enums) do
    add(e)
    for _, v in ipairs(e.values) do add(v) end
  end
  for _, s in ipairs(f.services) do
    add(s)
    for _, method in ipairs(s.methods) do add(method) end
  end
  for _, x in ipairs(f.extensions) do add(x) end
  return nodes
end

local function key_count(node)
  local n = 0
  for _ in pairs(node) do n = n + 1 end
  return n
end

-- ---- before release ----------------------------------------------------------------------
local req, val = file.messages[1], file.messages[2]
local service = file.services[1]
local tags = req.fields[2]
local before = snapshot(file)
local nodes = all_nodes(file)
t.eq(#nodes, 1 + file.declarations, "one node per declaration, and the file")
local by_node, raw_before, keys_before = {}, {}, {}
for i, node in ipairs(nodes) do
  by_node[node] = i
  local _, raw = pairs(node)
  raw_before[i] = raw
  keys_before[i] = key_count(node)
end
local descriptor = file.descriptor
t.eq(type(descriptor), "string", "file.descriptor")

local function check_identity(when)
  t.eq(schema.files[#schema.files], file, when .. ": schema.files holds the same file proxy")
  t.eq(file.messages[1], req, when .. ": file.messages[1]")
  t.eq(req.file, file, when .. ": message.file")
  t.eq(tags.map.value.type_ref, val, when .. ": a message-typed field's type_ref is the message")
  t.eq(tags.map.entry, req.messages[1], when .. ": map.entry is the nested entry message")
  t.eq(tags.map.key, req.messages[1].fields[1], when .. ": map.key is the entry's first field")
  t.eq(tags.parent, req, when .. ": field.parent")
  t.eq(req.fields[3].oneof, req.oneofs[1], when .. ": field.oneof")
  t.eq(req.oneofs[1].fields[1], req.fields[3], when .. ": oneof.fields")
  t.eq(service.methods[2].input, req, when .. ": method.input")
  t.eq(service.methods[2].output, val, when .. ": method.output")
  t.eq(service.methods[2].parent, service, when .. ": method.parent")
  t.eq(service.file, file, when .. ": service.file")
  local again = all_nodes(file)
  t.eq(#again, #nodes, when .. ": as many nodes")
  for i, node in ipairs(again) do
    t.eq(node, nodes[i], when .. ": node " .. i .. " is the same proxy")
    t.eq(by_node[node], i, when .. ": a table keyed by node " .. i .. " still finds it")
  end
end
check_identity("before release")
-- without a release, the nodes keep their converted tables
for i, node in ipairs(nodes) do
  local _, raw = pairs(node)
  t.eq(raw, raw_before[i], "node " .. i .. " is converted once")
end

-- ---- host.release ------------------------------------------------------------------------
host.release(file)
-- the first thing read of each node after release: pairs, then #, then a key
for i, node in ipairs(nodes) do
  local _, raw = pairs(node)
  t.truthy(raw ~= raw_before[i], "node " .. i .. " (" .. tostring(raw.full_name or raw.path) ..
    ") is converted again after release")
  t.eq(key_count(node), keys_before[i], "pairs over node " .. i .. " after release")
end
host.release(file)
t.eq(#file.messages, 2, "# on a list of a released file")
t.eq(#service.methods, 5, "# on a list of a released service")
t.eq(#req, 0, "# on a released node (no array part)")
t.eq(req.name, "Req", "a key of a released node")
host.release(file)
t.eq(snapshot(file), before, "after release, every node reads as before")
t.eq(file.descriptor, descriptor, "file.descriptor after release")
check_identity("after release")
host.release(file)
host.release(file) -- twice in a row: the file is unfilled already
check_identity("after two releases")

-- writes stay refused: on released (unfilled) nodes, on filled ones, on lists and locs
host.release(file)
read_only_error(function() file.package = "x" end, "package", "write to a released file")
read_only_error(function() req.name = "x" end, "name", "write to a released message")
read_only_error(function() tags.number = 9 end, "number", "write to a released field")
t.eq(tags.number, 2, "read after a refused write")
read_only_error(function() tags.number = 9 end, "number", "write to a filled field")
read_only_error(function() file.messages[3] = val end, "3", "write to a list")
read_only_error(function() req.loc.line = 1 end, "line", "write to a loc")
host.release(file)

-- loc: converted when read, the same values after release
local loc_text = string.format("%s:%d:%d", service.methods[2].loc.file, service.methods[2].loc.line,
  service.methods[2].loc.col)
t.eq(service.methods[2].loc.line, 17, "method loc line")
host.release(file)
local loc_keys = 0
for _ in pairs(service.methods[2].loc) do loc_keys = loc_keys + 1 end
t.eq(loc_keys, 3, "pairs over an unread loc")
t.eq(string.format("%s:%d:%d", service.methods[2].loc.file, service.methods[2].loc.line,
  service.methods[2].loc.col), loc_text, "loc after release")

-- ---- host.release: bad arguments -----------------------------------------------------------
local BAD_RELEASE = "bad argument #1 to 'release' (a file of the schema model)"
for what, value in pairs({ message = req, field = tags, service = service, list = file.messages,
  ["plain table"] = {}, schema = schema, loc = req.loc }) do
  local err = raises(function() host.release(value) end, "host.release(" .. what .. ")")
  t.truthy(err:find(BAD_RELEASE, 1, true), "host.release(" .. what .. "): " .. err)
end
for what, value in pairs({ number = 1, string = "acme", boolean = true }) do
  local err = raises(function() host.release(value) end, "host.release(" .. what .. ")")
  t.truthy(err:find(BAD_RELEASE, 1, true), "host.release(" .. what .. "): " .. err)
end
local no_value = raises(function() host.release() end, "host.release()")
t.truthy(no_value:find(BAD_RELEASE, 1, true), "host.release(): " .. no_value)
t.eq(req.name, "Req", "a refused release changes nothing")

-- ---- emitters/pack.lua ---------------------------------------------------------------------
local function deep_eq(a, b, path)
  if type(a) ~= type(b) then error(path .. ": " .. type(a) .. " vs " .. type(b), 2) end
  if type(a) == "number" and math.type(a) ~= math.type(b) then
    error(path .. ": " .. math.type(a) .. " vs " .. math.type(b), 2)
  end
  if type(a) ~= "table" then
    if a ~= b and not (a ~= a and b ~= b) then error(path .. ": " .. tostring(a) .. " vs " .. tostring(b), 2) end
    return
  end
  for k, v in pairs(a) do deep_eq(v, b[k], path .. "." .. tostring(k)) end
  for k in pairs(b) do
    if a[k] == nil then error(path .. ": extra key " .. tostring(k), 2) end
  end
end

local function round_trip(value, what)
  local text = pack.encode(value)
  t.eq(type(text), "string", what .. ": encode gives a string")
  local back = pack.decode(text)
  deep_eq(back, value, what)
  return back
end

local all_bytes = {}
for b = 0, 255 do all_bytes[#all_bytes + 1] = string.char(b) end
all_bytes = table.concat(all_bytes)
local big = string.rep("\0a\255" .. all_bytes, 4000) -- about 1 MB, NUL bytes included

round_trip("", "empty string")
round_trip("plain", "string")
round_trip(big, "a big string with NUL bytes")
t.eq(pack.decode(pack.encode(big)), big, "big string byte for byte")
round_trip(true, "true")
round_trip(false, "false")
round_trip({}, "empty table")
for _, n in ipairs({ 0, 1, -1, 42, math.maxinteger, math.mininteger, 2 ^ 53, 0.0, -0.0, 1.0, 1.5, -2.25,
  1e300, -1e-300, math.huge, -math.huge, math.pi }) do
  local back = round_trip(n, "number " .. tostring(n))
  t.eq(math.type(back), math.type(n), "number " .. tostring(n) .. " keeps its subtype")
end
t.eq(math.type(pack.decode(pack.encode(3))), "integer", "3 stays an integer")
t.eq(math.type(pack.decode(pack.encode(3.0))), "float", "3.0 stays a float")
t.eq(1 / pack.decode(pack.encode(-0.0)), -math.huge, "-0.0 keeps its sign")
local nan = pack.decode(pack.encode(0 / 0))
t.truthy(nan ~= nan, "NaN stays NaN")
local nested = {
  path = "a/b.py", names = { "A", "B", "" }, flags = { t = true, f = false },
  deep = { { { { { leaf = "x\0y" } } } } }, counts = { [1] = 1, [2] = 2.0, [10] = -3, [-4] = "neg" },
  [1.5] = "float key", [7] = { {}, {}, { {} } }, empty = {},
}
local back = round_trip(nested, "nested tables")
t.eq(back.deep[1][1][1][1].leaf, "x\0y", "a leaf deep down")
t.eq(math.type(back.counts[2]), "float", "a float inside a table")
t.eq(back[1.5], "float key", "a float key")
t.eq(#back.names, 3, "an array keeps its length")
local array = {}
for i = 1, 10000 do array[i] = i % 3 == 0 and tostring(i) or i end
round_trip(array, "a long array")

-- what cannot be encoded
t.truthy(raises(function() pack.encode(print) end, "encode(function)"):find("cannot encode a function", 1, true),
  "encode(function) names the type")
raises(function() pack.encode({ f = print }) end, "encode of a table holding a function")
raises(function() pack.encode(nil) end, "encode(nil)")

-- garbage to decode
local good = pack.encode(nested)
for what, text in pairs({
  empty = "", tag = "?", ["a bad tag inside a table"] = "{\1\0\0\0s\1\0\0\0k?",
  ["a string cut short"] = pack.encode("hello"):sub(1, -2),
  ["a length past the end"] = "s\255\255\0\0abc",
  ["an integer cut short"] = pack.encode(12345):sub(1, 4),
  ["a float cut short"] = pack.encode(1.5):sub(1, 5),
  ["a table cut short"] = good:sub(1, #good // 2),
  ["a table count too big"] = "{\5\0\0\0",
  ["trailing bytes"] = pack.encode("x") .. "T",
  ["two values"] = pack.encode(1) .. pack.encode(2),
  text = "hello world",
}) do
  raises(function() pack.decode(text) end, "decode of " .. what)
end
t.truthy(raises(function() pack.decode(pack.encode(true) .. "F") end, "trailing"):find("trailing", 1, true),
  "trailing bytes are named")

-- ---- moonstub.native.py_bytes_pieces -------------------------------------------------------------
local ESCAPES = { [10] = "\\n", [9] = "\\t", [13] = "\\r", [92] = "\\\\", [34] = '\\"' }
local function escape(s)
  return (s:gsub(".", function(c)
    local b = c:byte()
    if ESCAPES[b] then return ESCAPES[b] end
    if b < 32 or b > 126 then return string.format("\\x%02x", b) end
    return c
  end))
end

-- The bytes that the inside of one piece stands for; errors on a cut escape.
local UNESCAPE = { n = "\n", t = "\t", r = "\r", ["\\"] = "\\", ['"'] = '"' }
local function unescape(text, what)
  local out, i = {}, 1
  while i <= #text do
    local c = text:sub(i, i)
    if c == "\\" then
      local e = text:sub(i + 1, i + 1)
      if e == "x" then
        local hex = text:sub(i + 2, i + 3)
        if not hex:match("^%x%x$") then error(what .. ": a \\x escape cut at " .. i, 2) end
        out[#out + 1] = string.char(tonumber(hex, 16))
        i = i + 4
      elseif UNESCAPE[e] then
        out[#out + 1] = UNESCAPE[e]
        i = i + 2
      else
        error(what .. ": an escape cut at " .. i .. " (" .. text .. ")", 2)
      end
    elseif c == '"' then
      error(what .. ": a bare quote at " .. i, 2)
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

local function check_pieces(s, width, what)
  local pieces = native.py_bytes_pieces(s, width)
  t.truthy(#pieces >= 1, what .. ": one piece at least")
  local inner, decoded = {}, {}
  for i, piece in ipairs(pieces) do
    local text = piece:match('^b"(.*)"$')
    t.truthy(text, what .. ": piece " .. i .. " is a bytes literal: " .. piece)
    t.truthy(#piece <= width, string.format("%s: piece %d is %d columns, over %d", what, i, #piece, width))
    if #s > 0 then t.truthy(#text > 0, what .. ": piece " .. i .. " holds something") end
    local bytes = unescape(text, what .. " piece " .. i)
    t.eq(escape(bytes), text, what .. ": piece " .. i .. " escapes as the whole does")
    inner[i], decoded[i] = text, bytes
  end
  t.eq(table.concat(inner), escape(s), what .. ": the pieces join to the escaped bytes")
  t.eq(table.concat(decoded), s, what .. ": the pieces stand for the bytes")
  return pieces
end

local empty = native.py_bytes_pieces("", 80)
t.eq(#empty, 1, "the empty string: one piece")
t.eq(empty[1], 'b""', 'the empty string: b""')
local mixed = "abc\n\t\r\\\"def" .. all_bytes .. "plain text " .. string.rep("\0", 9) .. '""\\\\'
for _, width in ipairs({ 7, 8, 9, 10, 11, 12, 13, 16, 17, 40, 79, 80, 112, 200, 1200 }) do
  check_pieces(all_bytes, width, "all 256 bytes at width " .. width)
  check_pieces(all_bytes:reverse(), width, "all 256 bytes reversed at width " .. width)
  check_pieces(mixed, width, "mixed text at width " .. width)
  check_pieces(string.rep("\255", 50), width, "only \\xff at width " .. width)
  check_pieces(string.rep("a", 50), width, "only plain at width " .. width)
  check_pieces("x", width, "one byte at width " .. width)
end
-- every single byte value and every pair of escape kinds on its own
for b = 0, 255 do check_pieces(string.char(b), 7, "byte " .. b) end
check_pieces(string.rep("a\255", 40), 9, "plain and \\x alternating")
check_pieces(big:sub(1, 70000), 112, "a descriptor-sized string")
local one_per_piece = native.py_bytes_pieces(string.rep("\1", 5), 7)
t.eq(#one_per_piece, 5, "width 7: one \\xHH per piece")
t.eq(one_per_piece[1], 'b"\\x01"', "width 7: a piece is b\"\\x01\"")
t.eq(#native.py_bytes_pieces(string.rep("a", 77), 80), 1, "77 plain bytes fit in 80 columns")
t.eq(#native.py_bytes_pieces(string.rep("a", 78), 80), 2, "78 do not")
for _, width in ipairs({ 6, 3, 0, -1 }) do
  local err = raises(function() native.py_bytes_pieces("abc", width) end, "width " .. width)
  t.truthy(err:find("a width of at least 7 columns", 1, true), "width " .. width .. ": " .. err)
end
raises(function() native.py_bytes_pieces(nil, 80) end, "py_bytes_pieces(nil)")
raises(function() native.py_bytes_pieces("abc") end, "py_bytes_pieces without a width")
