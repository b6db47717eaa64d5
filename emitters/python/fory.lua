-- Python modules with the Fory codec (pyfory): the declarations foryc writes
-- for the same schema — @pyfory.dataclass classes with pyfory.field(id=...)
-- metadata, IntEnums, pyfory unions with their serializers, a
-- register_<module>_types(fory) helper and a thread-safe Fory instance — so
-- that bytes written by either side are read by the other. Type ids come from
-- the model (explicit [id = N], or foryc's hash of the qualified name).
--
-- Beyond foryc: from_bytes checks the decoded type, defaults of date,
-- timestamp, duration and enum fields are values pyfory can write, and the
-- module passes mypy --strict.
local Writer = require("emitters.writer")
local text = require("emitters.python.text")
local py_string, docstring = text.py_string, text.docstring
local python = require("rules.python")
local default_rules = require("rules.default")

local M = {}

-- Names a message's class body uses after its fields (defaults call
-- pyfory.field, decimal.Decimal, datetime.date, list, dict; to_bytes and
-- from_bytes are its methods): a field whose name, trailing underscores
-- aside, is one of these takes one more underscore (field, field_, field__
-- -> field_, field__, field___), as foryc escapes its helper names, so that
-- no two fields become one attribute.
local CLASS_TAKEN = { to_bytes = true, from_bytes = true, field = true, pyfory = true, decimal = true,
  list = true, dict = true, datetime = true }
-- What a union's class body defines besides its case methods.
local UNION_TAKEN = { case = true, case_id = true, to_bytes = true, from_bytes = true }

-- `taken` is a table of names or a function of the base name.
local function escape_family(name, taken)
  local base = name:match("^(.-)_*$")
  if base == "" then return name end
  if type(taken) == "function" then
    if taken(base) then return name .. "_" end
  elseif taken[base] then
    return name .. "_"
  end
  return name
end

-- The insertion point at the end of a class body (docs/lua-api.md): the
-- line is over the limit only for very long full names, and says so.
local function write_class_marker(w, full_name)
  w:blank()
  local marker = string.format("# @@protoc_insertion_point(class_scope:%s)", full_name)
  if #marker + w:indent_width() > text.LINE_LIMIT then marker = marker .. "  # noqa: E501" end
  w:line("%s", marker)
end

local SCALAR = {
  bool = "bool", int8 = "pyfory.Int8", int16 = "pyfory.Int16", int32 = "pyfory.Int32", int64 = "pyfory.Int64",
  uint8 = "pyfory.UInt8", uint16 = "pyfory.UInt16", uint32 = "pyfory.UInt32", uint64 = "pyfory.UInt64",
  float16 = "pyfory.Float16", bfloat16 = "pyfory.BFloat16", float32 = "pyfory.Float32",
  float64 = "pyfory.Float64", string = "str", bytes = "bytes", date = "datetime.date",
  timestamp = "datetime.datetime", duration = "datetime.timedelta", decimal = "decimal.Decimal", any = "Any",
}
local ENCODED = {
  ["fixed int32"] = "pyfory.FixedInt32", ["fixed int64"] = "pyfory.FixedInt64",
  ["tagged int64"] = "pyfory.TaggedInt64", ["fixed uint32"] = "pyfory.FixedUInt32",
  ["fixed uint64"] = "pyfory.FixedUInt64", ["tagged uint64"] = "pyfory.TaggedUInt64",
}
local ZERO = {
  bool = "False", float16 = "0.0", bfloat16 = "0.0", float32 = "0.0", float64 = "0.0", string = '""',
  bytes = 'b""', date = "datetime.date(1970, 1, 1)",
  timestamp = "datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)",
  duration = "datetime.timedelta(0)", decimal = 'decimal.Decimal("0")', any = "None",
}
-- for union case checks
local RUNTIME = {
  bool = "bool", string = "str", bytes = "(bytes, bytearray)", date = "datetime.date",
  timestamp = "datetime.datetime", duration = "datetime.timedelta", decimal = "decimal.Decimal",
}

-- ---- the Fory view of a .proto field (foryc's translation) ----------------------------------------

-- As foryc maps them, so that both sides declare the same Fory types:
-- protobuf's int32/int64 become Fory's unsigned varints (uint32/uint64), the
-- zigzag sint32/sint64 its signed ones.
local PROTO_SCALAR = {
  bool = { "bool" }, int32 = { "uint32" }, int64 = { "uint64" }, sint32 = { "int32" }, sint64 = { "int64" },
  uint32 = { "uint32" }, uint64 = { "uint64" }, fixed32 = { "uint32", "fixed" }, fixed64 = { "uint64", "fixed" },
  sfixed32 = { "int32", "fixed" }, sfixed64 = { "int64", "fixed" }, float = { "float32" }, double = { "float64" },
  string = { "string" }, bytes = { "bytes" },
}
local PROTO_WKT = {
  ["google.protobuf.Timestamp"] = "timestamp", ["google.protobuf.Duration"] = "duration",
  ["google.protobuf.Any"] = "any",
}

local function proto_ref(f)
  -- Fory's extensions of .proto: int8/int16/uint8/uint16/float16 and
  -- (fory).type = "tagged int64" (the C parser's Fory detail of the field)
  local x = f.idl and f.idl.value
  if x and x.scalar then return { scalar = x.scalar, encoding = x.encoding, optional = false, ref = false } end
  local t = f.wire_type == "group" and "message" or f.wire_type
  if t == "message" or t == "enum" then
    local wkt = PROTO_WKT[f.type_name]
    if wkt then return { scalar = wkt, optional = false, ref = false } end
    return { type_ref = f.type_ref, type_name = f.type_name, optional = false, ref = false }
  end
  local s = PROTO_SCALAR[t] or { "bytes" }
  return { scalar = s[1], encoding = s[2], optional = false, ref = false }
end

--- The Fory detail of any field: the model's for .fdl and .fbs, derived
--- from the protobuf shape for .proto.
function M.view(f)
  if f.idl and (f.file.source ~= "proto" or f.oneof_union) then return f.idl end
  -- .proto: foryc's translation, with the (fory) options of the field: ref
  -- goes to the elements of a list and the values of a map, as in foryc
  local x = f.idl or {}
  if f.map then
    local value = proto_ref(f.map.value)
    value.ref = x.ref or false
    return { collection = "map", key = proto_ref(f.map.key), value = value, nullable = x.nullable or false }
  end
  local value = proto_ref(f)
  local nullable = (f.presence == "explicit" and not f.repeated and (f.oneof == nil or f.oneof.synthetic))
    or x.nullable or false
  if f.repeated then
    value.ref = x.ref or false
    return { collection = "list", value = value, nullable = nullable, ref = false }
  end
  return { value = value, nullable = nullable, ref = x.ref or false }
end

-- ---- type ids of .proto types (the C linker assigns those of .fdl and .fbs) ----------------------

-- MurmurHash3 x86_32, seed 0: foryc's automatic type id of a qualified name.
function M.type_hash(name)
  local function mul(a, b) return (a * b) & 0xffffffff end
  local function rotl(x, r) return ((x << r) | (x >> (32 - r))) & 0xffffffff end
  local h, len = 0, #name
  local blocks = len // 4
  for i = 0, blocks - 1 do
    local b1, b2, b3, b4 = name:byte(4 * i + 1, 4 * i + 4)
    local k = b1 | (b2 << 8) | (b3 << 16) | (b4 << 24)
    k = mul(rotl(mul(k, 0xcc9e2d51), 15), 0x1b873593)
    h = (mul(rotl(h ~ k, 13), 5) + 0xe6546b64) & 0xffffffff
  end
  local tail, k = len % 4, 0
  local base = 4 * blocks
  if tail == 3 then k = k ~ (name:byte(base + 3) << 16) end
  if tail >= 2 then k = k ~ (name:byte(base + 2) << 8) end
  if tail >= 1 then
    k = k ~ name:byte(base + 1)
    h = h ~ mul(rotl(mul(k, 0xcc9e2d51), 15), 0x1b873593)
  end
  h = h ~ len
  h = mul(h ~ (h >> 16), 0x85ebca6b)
  h = mul(h ~ (h >> 13), 0xc2b2ae35)
  return h ~ (h >> 16)
end

--- The Fory type id of a message, union or enum: the model's, or for .proto
--- types foryc's hash of the full name.
function M.type_id(node)
  if node.type_id then return node.type_id end
  if node.file and node.file.source == "proto" and node.full_name then return M.type_hash(node.full_name) end
  return nil
end

-- foryc turns each real oneof of a .proto message into a nested union named
-- after it (payment_method -> PaymentMethod) and a nullable field holding it.
local function oneof_union(m, oneof)
  local name = oneof.name:gsub("_(%l)", string.upper):gsub("^%l", string.upper)
  return { kind = "message", is_union = true, name = name, full_name = m.full_name .. "." .. name, parent = m,
    file = m.file, fields = oneof.fields, messages = {}, enums = {}, comments = oneof.comments, loc = oneof.loc,
    options = {}, virtual = true }
end

--- The unions and fields of a message as Fory sees them.
function M.shape(m)
  if m.file.source ~= "proto" then return m.fields, {} end
  local fields, unions = {}, {}
  local by_oneof = {}
  for _, o in ipairs(m.oneofs) do
    if not o.synthetic then
      local u = oneof_union(m, o)
      by_oneof[o] = u
      unions[#unions + 1] = u
    end
  end
  local placed = {}
  for _, f in ipairs(m.fields) do
    local u = f.oneof and by_oneof[f.oneof]
    if u then
      if not placed[u] then
        placed[u] = true
        local number = f.number
        for _, g in ipairs(f.oneof.fields) do number = math.min(number, g.number) end
        fields[#fields + 1] = { name = f.oneof.name, number = number, file = m.file, parent = m, kind = "field",
          loc = f.oneof.loc, oneof_union = true,
          idl = { value = { type_ref = u, type_name = u.full_name, optional = false, ref = false }, nullable = true } }
      end
    else
      fields[#fields + 1] = f
    end
  end
  return fields, unions
end

-- ---- module state --------------------------------------------------------------------------------

local Mod = {}
Mod.__index = Mod

function M.new(ctx, mod)
  local self = setmetatable({ ctx = ctx, mod = mod, names = mod.names, rules = ctx.rules, imports = {},
    uses = {}, registrations = {}, reported = {} }, Mod)
  return self
end

function Mod:class_name(node)
  return self.names:class_name(node)
end

function Mod:qualname(node)
  if node.kind == "enum" then return self.names:enum_qualname(node) end
  return self.names:message_qualname(node)
end

-- A class seen from this module: imported modules by their name, as foryc does.
function Mod:ref(node)
  local other = self.names.module_of[node.file]
  if other and other ~= self.mod.name then
    self.imports[other] = true
    return other .. "." .. self:qualname(node)
  end
  return self:qualname(node)
end

function Mod:attribute(f)
  if self.rules.fory_field then return self.rules.fory_field(f) end
  return self.rules.field(f)
end

-- The names extra emitters add to every message class (their M.members,
-- ctx.members: name -> the emitter's spec) escape a field like the class's
-- own names do: a field `describe` is the attribute `describe_` when an
-- emitter adds describe(). Fory writes field ids, not names (every field has
-- pyfory.field(id=...)), so the escape leaves the bytes and the struct hash
-- as they were.
function Mod:members()
  return self.ctx.members or {}
end

function Mod:field_name(f)
  local members = self:members()
  return escape_family(self:attribute(f), function(base) return CLASS_TAKEN[base] or members[base] end)
end

-- the factory of a union case (Shape.label(...)) and the stem of its methods
-- (is_label, label_value, set_label): none may be a member an emitter adds
function Mod:case_name(f)
  local members = self:members()
  return escape_family(self:attribute(f), function(base)
    return UNION_TAKEN[base] or members[base] or members["is_" .. base] or members[base .. "_value"]
      or members["set_" .. base]
  end)
end

-- A name of class `m`'s body that an extra emitter adds to every message
-- class as well: an error naming the node and the emitter (the escapes above
-- make this rare: a nested type, or a member spelt with trailing underscores).
function Mod:check_member(m, name, node, what)
  local emitter = self:members()[name]
  if not emitter then return end
  -- (at the node's location, which the message starts with)
  self.ctx.host.report("error", string.format("%s %q of %s becomes the class attribute %q, which the emitter %s "
    .. "adds to every message class; rename it", what, node.name, m.full_name, name, emitter), node.loc)
end

-- ---- one Python name per IDL name ------------------------------------------------------------------

-- A Python namespace the module defines names in (the module, a class body,
-- an enum): each name is claimed by the IDL node it comes from, or reserved
-- by the generated code there. A name claimed twice is a located error naming
-- both, never a class, field, member or case silently lost, nor a module that
-- fails at import or registration.
local Scope = {}
Scope.__index = Scope

function Mod:scope(label, reserved)
  local seen = {}
  for _, name in ipairs(reserved or {}) do seen[name] = { generated = true } end
  return setmetatable({ mod = self, label = label, seen = seen }, Scope)
end

-- "line 3", or "other.fdl:3" for a node of another file than `near`'s
local function where(node, near)
  local loc = node.loc
  if not loc then return "line ?" end
  if near and near.loc and loc.file and near.loc.file ~= loc.file then
    return string.format("%s:%d", loc.file, loc.line or 0)
  end
  return string.format("line %d", loc.line or 0)
end

function Scope:error(node, fmt, ...)
  self.mod.ctx.host.report("error", string.format(fmt, ...), node.loc)
end

function Scope:claim(name, node, what)
  local other = self.seen[name]
  if other == nil then
    self.seen[name] = { node = node, what = what }
    if python.is_dunder(name) then
      self:error(node, "%s %q of %s becomes the Python name %q, a name Python reserves; rename it", what, node.name,
        self.label, name)
    end
  elseif other.generated then
    self:error(node, "%s %q of %s becomes the Python name %q, which the generated code defines there; rename it",
      what, node.name, self.label, name)
  else
    -- one error for two nodes, however many of their names meet (a case's
    -- four methods, its constant)
    local pair = tostring(other.node) .. " " .. tostring(node)
    if self.mod.reported[pair] then return end
    self.mod.reported[pair] = true
    self:error(node, "%s %q (%s) and %s %q (%s) of %s both become the Python name %q; rename one", other.what,
      other.node.name, where(other.node, node), what, node.name, where(node, node), self.label, name)
  end
end

-- Python's Enum makes no member of a _sunder_, __dunder__ or __private name
-- (or refuses it at import), nor of `mro`.
local function enum_takes(name)
  if name == "mro" or name:match("^__") then return false end
  return not (#name > 2 and name:match("^_[^_]") and name:match("[^_]_$"))
end

-- A member of an Enum class: claimed, and one Enum takes.
function Scope:member(name, node, what)
  self:claim(name, node, what)
  if not enum_takes(name) then
    self:error(node, "%s %q of %s becomes the enum member %q, which Python's Enum does not take as a member; "
      .. "rename it", what, node.name, self.label, name)
  end
end

-- What the class body of a union defines besides its case methods (and the
-- attributes of pyfory's Union it uses).
local UNION_RESERVED = { "_case", "_case_id", "_value", "value", "case", "case_id", "to_bytes", "from_bytes",
  "_validate", "_from_case_id" }
-- What a message's class body defines besides its fields and nested classes.
local MESSAGE_RESERVED = { "to_bytes", "from_bytes" }

-- The classes of one class body or module: a union brings its Case enum and
-- its serializer along (foryc's names, `<U>Case` and `<U>Serializer`); an
-- extra emitter's members are an error for nested classes (check_member).
function Mod:claim_classes(scope, enums, unions, messages, m)
  local function class(name, node, what, kind)
    scope:claim(name, node, what)
    if m then self:check_member(m, name, node, "nested " .. (kind or what)) end
  end
  local function union(u)
    local name = self:class_name(u)
    class(name, u, "union")
    class(name .. "Case", u, "the case enum of union", "union")
    class(name .. "Serializer", u, "the serializer of union", "union")
  end
  for _, e in ipairs(enums) do class(self:class_name(e), e, "enum") end
  for _, u in ipairs(unions) do union(u) end
  for _, n in ipairs(messages) do
    if n.is_union then
      union(n)
    elseif not n.is_map_entry then
      class(self:class_name(n), n, "message")
    end
  end
end

-- The names of one class: its nested classes and fields (a message), or its
-- case methods (a union) and the constants of its Case enum.
function Mod:check_names(m, fields, unions)
  if m.is_union then
    local scope = self:scope(m.full_name, UNION_RESERVED)
    local cases = self:scope(m.full_name .. " (its case enum)")
    for _, f in ipairs(fields) do
      local stem = self:case_name(f)
      for _, name in ipairs({ stem, "is_" .. stem, stem .. "_value", "set_" .. stem }) do
        scope:claim(name, f, "case")
        self:check_member(m, name, f, "case")
      end
      cases:member(self:case_const(f), f, "case")
    end
    return
  end
  local scope = self:scope(m.full_name, MESSAGE_RESERVED)
  self:claim_classes(scope, m.enums or {}, unions or {}, m.messages or {}, m)
  for _, f in ipairs(fields) do
    scope:claim(self:field_name(f), f, "field")
    self:check_member(m, self:field_name(f), f, "field")
  end
end

-- The module's top-level names: the classes of all its files, the
-- registration function and helpers, the modules it imports.
function Mod:check_module_names()
  local module = self.mod.name:gsub("%.", "_")
  local reserved = { "register_" .. module .. "_types", "_fory_lock", "_threadsafe_fory", "_create_fory",
    "_get_fory" }
  for other in pairs(self.imports) do reserved[#reserved + 1] = other:match("^[^.]+") end
  local scope = self:scope("module " .. self.mod.name, reserved)
  for _, file in ipairs(self.mod.files) do
    local unions, messages = {}, {}
    for _, m in ipairs(file.messages) do
      if m.is_union then unions[#unions + 1] = m else messages[#messages + 1] = m end
    end
    self:claim_classes(scope, file.enums, unions, messages, nil)
  end
end

-- foryc's snake_case, upper-cased: a union case's constant in its Case enum
-- (field, field_, field__ -> FIELD, FIELD_, FIELD__, as foryc writes them).
function Mod:case_const(f)
  local snake = self.rules.fory_snake or default_rules.fory_snake
  return snake(f.name):upper()
end

-- ---- types ---------------------------------------------------------------------------------------

function Mod:scalar_type(t)
  if t.encoding and t.encoding ~= "varint" then
    local e = ENCODED[t.encoding .. " " .. t.scalar]
    if e then return e end
  end
  if t.scalar == "date" or t.scalar == "timestamp" or t.scalar == "duration" then self.uses.datetime = true end
  if t.scalar == "decimal" then self.uses.decimal = true end
  if t.scalar == "any" then self.uses.any = true end
  return SCALAR[t.scalar]
end

-- foryc wraps list elements and map values of message and union types in
-- Ref[...] when it finds the type at the top level of the schema: nested
-- types stay bare. The declarations must agree for the bytes to.
local function is_ref_target(t)
  if t.type_ref == nil or t.type_ref.kind ~= "message" then return false end
  if t.type_ref.parent == nil then return true end
  -- a nested type written with its path from the top ("Outer.Inner")
  local written = t.written_name
  if not written or not written:find(".", 1, true) then return false end
  local pkg = t.type_ref.file.package
  local relative = t.type_ref.full_name
  if pkg and pkg ~= "" then relative = relative:sub(#pkg + 2) end
  return written == relative or written == t.type_ref.full_name
end

function Mod:element_type(t)
  if t.encoding == "array" then
    -- list<array<T>>, map<K, array<T>>: the one nested collection foryc accepts
    local base = string.format("pyfory.Array[%s]", SCALAR[t.scalar])
    if t.optional then base = string.format("Optional[%s]", base) end
    return base
  end
  local base = t.scalar and self:scalar_type(t) or self:ref(t.type_ref)
  if is_ref_target(t) then
    self.uses.ref = true
    base = t.ref and string.format("Ref[%s]", base) or string.format("Ref[%s, False]", base)
  end
  if t.optional then base = string.format("Optional[%s]", base) end
  return base
end

function Mod:field_type(view)
  local t
  if view.collection == "list" then
    t = string.format("List[%s]", self:element_type(view.value))
  elseif view.collection == "array" then
    t = string.format("pyfory.Array[%s]", self:scalar_type(view.value))
  elseif view.collection == "map" then
    -- foryc declares map values without Optional[] even for map<K, optional V>
    local value = self:element_type({ scalar = view.value.scalar, encoding = view.value.encoding,
      type_ref = view.value.type_ref, written_name = view.value.written_name, ref = view.value.ref, optional = false })
    t = string.format("Dict[%s, %s]", self:scalar_or_ref(view.key), value)
  else
    t = self:scalar_or_ref(view.value)
  end
  if view.nullable and not (view.collection == nil and view.value.scalar == "any") then
    t = string.format("Optional[%s]", t)
  end
  return t
end

function Mod:scalar_or_ref(t)
  if t.scalar then return self:scalar_type(t) end
  return self:ref(t.type_ref)
end

local function first_enum_value(enum)
  return enum.values[1]
end

function Mod:default_of(view)
  if view.nullable or (view.collection == nil and view.value.scalar == "any") then return "default=None" end
  if view.collection == "list" or view.collection == "array" then return "default_factory=list" end
  if view.collection == "map" then return "default_factory=dict" end
  local t = view.value
  if t.scalar then return "default=" .. (ZERO[t.scalar] or "0") end
  local target = t.type_ref
  if target.kind == "enum" then
    local v = first_enum_value(target)
    -- a factory: the enum's class may be one the class body cannot see yet
    return string.format("default_factory=lambda: %s.%s", self:ref(target), self:enum_member(v))
  end
  return "default=None"
end

-- The rules escape `class` to `class_`; a written `class_` (or `class__`)
-- takes one more underscore, as fields do (escape_family), so that the
-- members of one enum stay apart. What no escape separates (COLOR_RED and
-- RED, both RED once the prefix goes) is an error (write_enum).
function Mod:enum_member(v)
  local name = self.rules.enum_value(v)
  if v.name:sub(-1) == "_" then
    local base = name:match("^(.-)_*$")
    local escape = self.rules.escape or default_rules.escape
    if base ~= "" and (escape(base) ~= base or python.is_enum_reserved(base)) then name = name .. "_" end
  end
  return name
end

-- ---- enums ------------------------------------------------------------------------------------------

function Mod:write_enum(w, enum)
  w:line("class %s(IntEnum):", self:class_name(enum))
  w:indent()
  docstring(w, enum.comments, nil)
  local scope = self:scope(enum.full_name)
  for _, v in ipairs(enum.values) do
    local member = self:enum_member(v)
    scope:member(member, v, "enum value")
    w:line("%s = %d", member, v.number)
  end
  w:dedent()
  self.registrations[#self.registrations + 1] = enum
end

-- ---- unions -----------------------------------------------------------------------------------------

function Mod:case_type(f)
  return self:field_type({ collection = M.view(f).collection, value = M.view(f).value, key = M.view(f).key,
    nullable = false })
end

function Mod:case_check(f)
  local view = M.view(f)
  if view.collection then return nil end
  local t = view.value
  if t.scalar then
    if RUNTIME[t.scalar] then return RUNTIME[t.scalar] end
    if t.scalar:match("^float") or t.scalar == "bfloat16" then return "float" end
    if t.scalar == "any" then return nil end
    return "int"
  end
  return self:ref(t.type_ref)
end

function Mod:write_union(w, u)
  self:check_names(u, u.fields, {})
  local name = self:class_name(u)
  local q = self:qualname(u)
  local case_enum = name .. "Case"
  local case_ref = (u.parent and (self:qualname(u.parent) .. ".") or "") .. case_enum
  w:line("class %s(Enum):", case_enum)
  w:indent()
  for _, f in ipairs(u.fields) do w:line("%s = %d", self:case_const(f), f.number) end
  w:dedent()
  w:blank()
  w:line("# Fory type id %s", M.type_id(u) and tostring(M.type_id(u)) or "(registered by name)")
  w:line("class %s(Union):  # type: ignore[misc]", name)
  w:indent()
  docstring(w, u.comments, string.format("Union %s: exactly one case is set.", u.full_name))
  w:line('__slots__ = ("_case",)')
  w:blank()
  w:line("def __init__(self, case: %s, value: object) -> None:", case_ref)
  w:line("    super().__init__(case.value, value)")
  w:line("    self._case = case")
  w:line("    self._validate()")
  for _, f in ipairs(u.fields) do
    local m = self:case_name(f)
    w:blank()
    w:line("@classmethod")
    w:line('def %s(cls, v: %s) -> "%s":', m, self:case_type(f), q)
    w:line("    return cls(%s.%s, v)", case_ref, self:case_const(f))
  end
  w:blank()
  w:line("@classmethod")
  w:line('def _from_case_id(cls, case_id: int, value: object) -> "%s":', q)
  for _, f in ipairs(u.fields) do
    w:line("    if case_id == %d:", f.number)
    w:line("        return cls(%s.%s, value)", case_ref, self:case_const(f))
  end
  w:line('    raise ValueError(f"unknown %s case id: {case_id}")', u.name)
  w:blank()
  w:line("def _validate(self) -> None:")
  w:indent()
  local checks = 0
  for _, f in ipairs(u.fields) do
    local check = self:case_check(f)
    if check then
      checks = checks + 1
      w:line("if self._case == %s.%s and not isinstance(self._value, %s):", case_ref, self:case_const(f), check)
      w:line('    raise TypeError("%s.%s(...) requires %s")', u.name, self:case_name(f), self:case_type(f))
    end
  end
  if checks == 0 then w:line("pass") end
  w:dedent()
  w:blank()
  w:line("def case(self) -> %s:", case_ref)
  w:line("    return self._case")
  w:blank()
  w:line("def case_id(self) -> int:")
  w:line("    return int(self._case_id)")
  w:blank()
  w:line("def __eq__(self, other: object) -> bool:")
  w:line("    if not isinstance(other, %s):", q)
  w:line("        return NotImplemented")
  w:line("    return bool(self._case == other._case and self._value == other._value)")
  w:blank()
  w:line("def __hash__(self) -> int:")
  w:line("    return hash((self._case, repr(self._value)))")
  for _, f in ipairs(u.fields) do
    local m, c, t = self:case_name(f), self:case_const(f), self:case_type(f)
    w:blank()
    w:line("def is_%s(self) -> bool:", m)
    w:line("    return bool(self._case == %s.%s)", case_ref, c)
    w:blank()
    w:line("def %s_value(self) -> %s:", m, t)
    w:line("    if self._case != %s.%s:", case_ref, c)
    w:line('        raise ValueError("%s is not %s")', u.name, c:lower())
    w:line("    return cast(%s, self._value)", py_string(t))
    w:blank()
    w:line("def set_%s(self, v: %s) -> None:", m, t)
    w:line("    super().__init__(%s.%s.value, v)", case_ref, c)
    w:line("    self._case = %s.%s", case_ref, c)
    w:line("    self._validate()")
  end
  self:write_bytes_methods(w, q)
  -- the unions of the model are messages of ctx.outputs, with the same point
  -- as dataclasses; those foryc makes of a .proto oneof (virtual) are not
  if not u.virtual then write_class_marker(w, u.full_name) end
  w:dedent()
  w:blank()
  w:line("class %sSerializer(UnionSerializer):  # type: ignore[misc]", name)
  w:line("    def __init__(self, fory: pyfory.Fory) -> None:")
  w:line("        super().__init__(fory, %s, {", q)
  for _, f in ipairs(u.fields) do w:line("            %d: %s,", f.number, self:case_type(f)) end
  w:line("        })")
  self.registrations[#self.registrations + 1] = u
  self.uses.union = true
end

-- ---- messages ---------------------------------------------------------------------------------------

function Mod:write_bytes_methods(w, q)
  w:blank()
  w:line("def to_bytes(self) -> bytes:")
  w:line("    return bytes(_get_fory().serialize(self))")
  w:blank()
  w:line("@classmethod")
  w:line('def from_bytes(cls, data: bytes) -> "%s":', q)
  w:line("    value = _get_fory().deserialize(data)")
  w:line("    if not isinstance(value, cls):")
  w:line('        raise TypeError(f"expected %s, decoded {type(value).__qualname__}")', q)
  w:line("    return value")
  w:blank()
  w:line("def __bytes__(self) -> bytes:")
  w:line("    return self.to_bytes()")
end

-- foryc's __repr__ does not expand reference-tracked fields (a cycle would
-- not end) nor fields holding `any`
local function needs_safe_repr(view)
  if view.ref or (view.value and view.value.ref) then return true end
  return (view.value and view.value.scalar == "any") or (view.key and view.key.scalar == "any") or false
end

-- What foryc's __repr__ writes for such a field, `<type>(...)`: the type as
-- its format_idl_type spells it (`any`, `Node`, `list<Node>`, `map<string,
-- Node>`, `fixed int32`), named types as written (.proto: relative to the
-- file's package, leading dots gone, as written in the usual case).
function Mod:idl_type_label(view, f)
  local function label(t)
    if t.encoding == "array" then return string.format("array<%s>", t.scalar) end
    if t.scalar then return t.encoding and (t.encoding .. " " .. t.scalar) or t.scalar end
    local written = t.written_name
    if written and written ~= "" then return (written:gsub("^%.+", "")) end
    local name = t.type_name or (t.type_ref and t.type_ref.full_name) or "object"
    local pkg = f.file and f.file.package
    if pkg and pkg ~= "" and name:sub(1, #pkg + 1) == pkg .. "." then name = name:sub(#pkg + 2) end
    return name
  end
  if view.collection == "list" or view.collection == "array" then
    return string.format("%s<%s>", view.collection, label(view.value))
  end
  if view.collection == "map" then return string.format("map<%s, %s>", label(view.key), label(view.value)) end
  return label(view.value)
end

function Mod:evolving(m)
  if m.evolving ~= nil then return m.evolving end
  local file_opt = m.file.options.evolving
  if file_opt ~= nil then return file_opt == true or file_opt == "true" end
  return true
end

function Mod:write_message(w, m)
  local q = self:qualname(m)
  local fields, unions = M.shape(m)
  local safe_repr = false
  for _, f in ipairs(fields) do safe_repr = safe_repr or needs_safe_repr(M.view(f)) end
  w:line("# Fory type id %s", M.type_id(m) and tostring(M.type_id(m)) or "(registered by name)")
  local args = {}
  if not self:evolving(m) then args[#args + 1] = "evolving=False" end
  if safe_repr then args[#args + 1] = "repr=False" end
  w:line(#args > 0 and ("@pyfory.dataclass(" .. table.concat(args, ", ") .. ")") or "@pyfory.dataclass")
  w:line("class %s:", self:class_name(m))
  w:indent()
  docstring(w, m.comments, nil)
  self.registrations[#self.registrations + 1] = m
  self:check_names(m, fields, unions)
  self:write_nested(w, m, unions)
  for _, f in ipairs(fields) do
    local view = M.view(f)
    local meta = { "id=" .. f.number }
    if view.nullable or (view.collection == nil and view.value.scalar == "any") then
      meta[#meta + 1] = "nullable=True"
    end
    if view.ref and view.collection == nil then meta[#meta + 1] = "ref=True" end
    meta[#meta + 1] = self:default_of(view)
    text.write_call(w, string.format("%s: %s = pyfory.field", self:field_name(f), self:field_type(view)), meta)
  end
  if safe_repr then
    w:blank()
    w:line("def __repr__(self) -> str:")
    w:indent()
    w:line("parts = []")
    for _, f in ipairs(fields) do
      local name = self:field_name(f)
      if needs_safe_repr(M.view(f)) then
        local placeholder = py_string(self:idl_type_label(M.view(f), f) .. "(...)")
        text.write_call(w, "parts.append",
          { string.format('"%s=" + (%s if self.%s is not None else "None")', name, placeholder, name) })
      else
        text.write_call(w, "parts.append", { string.format('"%s=" + repr(self.%s)', name, name) })
      end
    end
    w:line('return "%s(" + ", ".join(parts) + ")"', m.name)
    w:dedent()
  end
  self:write_bytes_methods(w, q)
  -- where other emitters add to the class (docs/lua-api.md, insertion points)
  write_class_marker(w, m.full_name)
  w:dedent()
end

function Mod:write_nested(w, m, unions)
  for _, e in ipairs(m.enums) do
    self:write_enum(w, e)
    w:blank()
  end
  for _, u in ipairs(unions or {}) do
    self:write_union(w, u)
    w:blank()
  end
  for _, n in ipairs(m.messages) do
    if n.is_union then
      self:write_union(w, n)
      w:blank()
    end
  end
  for _, n in ipairs(m.messages) do
    if not n.is_union and not n.is_map_entry then
      self:write_message(w, n)
      w:blank()
    end
  end
end

-- ---- registration -----------------------------------------------------------------------------------

function Mod:write_registration(w)
  local module = self.mod.name:gsub("%.", "_")
  w:line("def register_%s_types(fory: pyfory.Fory) -> None:", module)
  w:indent()
  w:line('"""Registers this module\'s types with `fory` (ids and names as foryc registers them)."""')
  local ns = self.mod.files[1].package
  if not ns or ns == "" then ns = "default" end
  for _, node in ipairs(self.registrations) do
    local q = self:qualname(node)
    local how = M.type_id(node) and ("type_id=" .. tostring(M.type_id(node)))
      or string.format("name=%s", py_string(ns .. "." .. q))
    if node.is_union then
      local parent = node.parent and (self:qualname(node.parent) .. ".") or ""
      local serializer = string.format("serializer=%s%sSerializer(fory.type_resolver)", parent, self:class_name(node))
      text.write_call(w, "fory.register_union", { q, how, serializer })
    else
      text.write_call(w, "fory.register_type", { q, how })
    end
  end
  w:dedent()
  w:blank(2)
  w:line("_fory_lock = threading.Lock()")
  w:line("_threadsafe_fory: pyfory.ThreadSafeFory | None = None")
  w:blank(2)
  w:line("def _create_fory() -> pyfory.Fory:")
  w:line("    fory = pyfory.Fory(xlang=True, ref=True, compatible=True)")
  local imported = {}
  for other in pairs(self.imports) do imported[#imported + 1] = other end
  table.sort(imported)
  for _, other in ipairs(imported) do
    w:line("    %s.register_%s_types(fory)", other, other:gsub("%.", "_"))
  end
  w:line("    register_%s_types(fory)", module)
  w:line("    return fory")
  w:blank(2)
  w:line("def _get_fory() -> pyfory.ThreadSafeFory:")
  w:line('    """The module\'s thread-safe Fory instance, created on first use."""')
  w:line("    global _threadsafe_fory")
  w:line("    if _threadsafe_fory is None:")
  w:line("        with _fory_lock:")
  w:line("            if _threadsafe_fory is None:")
  w:line("                _threadsafe_fory = pyfory.ThreadSafeFory(fory_factory=_create_fory)")
  w:line("    return _threadsafe_fory")
end

--- The text of one Fory-codec module.
function M.module_text(ctx, mod)
  local self = M.new(ctx, mod)
  local body = Writer.new()
  local sources = {}
  for _, file in ipairs(mod.files) do
    sources[#sources + 1] = file.path
    for _, e in ipairs(file.enums) do
      self:write_enum(body, e)
      body:blank(2)
    end
  end
  for _, file in ipairs(mod.files) do
    for _, m in ipairs(file.messages) do
      if m.is_union then
        self:write_union(body, m)
        body:blank(2)
      end
    end
  end
  for _, file in ipairs(mod.files) do
    for _, m in ipairs(file.messages) do
      if not m.is_union then
        self:write_message(body, m)
        body:blank(2)
      end
    end
  end
  self:write_registration(body)
  self:check_module_names()

  local w = Writer.new()
  w:line('"""Fory-codec messages generated by moonstub from %s. Do not edit."""', table.concat(sources, ", "))
  w:blank()
  w:line("from __future__ import annotations")
  w:blank()
  if self.uses.datetime then w:line("import datetime") end
  if self.uses.decimal then w:line("import decimal") end
  local body_text = body:text()
  -- the standard library names the body uses, and only those
  local function used(name) return body_text:find("%f[%w_]" .. name .. "%f[^%w_]") ~= nil end
  w:line("import threading")
  local enums = {}
  for _, name in ipairs({ "Enum", "IntEnum" }) do
    if used(name) then enums[#enums + 1] = name end
  end
  if #enums > 0 then w:line("from enum import %s", table.concat(enums, ", ")) end
  local typing = {}
  for _, name in ipairs({ "Any", "Dict", "List", "Optional", "cast" }) do
    if used(name) then typing[#typing + 1] = name end
  end
  if #typing > 0 then w:line("from typing import %s", table.concat(typing, ", ")) end
  w:blank()
  w:line("import pyfory")
  if self.uses.ref then w:line("from pyfory import Ref") end
  if self.uses.union then w:line("from pyfory.union import Union, UnionSerializer") end
  local imported = {}
  for other in pairs(self.imports) do imported[#imported + 1] = other end
  table.sort(imported)
  if #imported > 0 then w:blank() end
  for _, other in ipairs(imported) do w:line("import %s", other) end
  w:line("# @@protoc_insertion_point(imports)")
  w:blank()
  w:line("__all__ = [")
  for _, node in ipairs(self.registrations) do
    if not node.parent then
      w:line("    %s,", py_string(self:class_name(node)))
      if node.is_union then
        -- foryc's modules have no __all__: their case enums and serializers are public too
        w:line("    %s,", py_string(self:class_name(node) .. "Case"))
        w:line("    %s,", py_string(self:class_name(node) .. "Serializer"))
      end
    end
  end
  w:line("    %s,", py_string("register_" .. mod.name:gsub("%.", "_") .. "_types"))
  w:line("]")
  return w:text() .. "\n\n" .. body_text .. "\n\n# @@protoc_insertion_point(module_scope)\n"
end

--- Whether a module uses the Fory codec: --codec, else fory for .fdl and .fbs.
function M.module_uses_fory(ctx, mod)
  local codec = ctx.options.opt.codec
  if codec then return codec == "fory" end
  for _, file in ipairs(mod.files) do
    if file.source == "proto" then return false end
  end
  return true
end

return M
