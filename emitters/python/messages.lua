-- Python modules of message classes and enums with the protobuf wire codec:
-- one module per package (the rules decide the module name and path).
local Writer = require("emitters.writer")
local codec = require("emitters.python.codec")
local names_mod = require("emitters.python.names")
local python = require("rules.python")
local text = require("emitters.python.text")
local py_string, docstring = text.py_string, text.docstring

local M = {}

local scalar_py = {
  double = "float", float = "float", int64 = "int", uint64 = "int", int32 = "int", fixed64 = "int",
  fixed32 = "int", bool = "bool", string = "str", bytes = "bytes", uint32 = "int",
  sfixed32 = "int", sfixed64 = "int", sint32 = "int", sint64 = "int",
}
local scalar_zero = {
  double = "0.0", float = "0.0", bool = "False", string = '""', bytes = 'b""',
}
local kind_const = {
  double = "DOUBLE", float = "FLOAT", int64 = "INT64", uint64 = "UINT64", int32 = "INT32",
  fixed64 = "FIXED64", fixed32 = "FIXED32", bool = "BOOL", string = "STRING", group = "GROUP",
  message = "MESSAGE", bytes = "BYTES", uint32 = "UINT32", enum = "ENUM", sfixed32 = "SFIXED32",
  sfixed64 = "SFIXED64", sint32 = "SINT32", sint64 = "SINT64",
}

-- Mixins from the support module for the well-known types.
local wkt_mixins = {
  ["google.protobuf.Timestamp"] = "_ms.TimestampMixin",
  ["google.protobuf.Duration"] = "_ms.DurationMixin",
  ["google.protobuf.Any"] = "_ms.AnyMixin",
  ["google.protobuf.Struct"] = "_ms.StructMixin",
  ["google.protobuf.Value"] = "_ms.ValueMixin",
  ["google.protobuf.ListValue"] = "_ms.ListValueMixin",
  ["google.protobuf.FieldMask"] = "_ms.FieldMaskMixin",
}

local function py_bytes(s)
  local out = s:gsub("[^%w _%-%.,;:/]", function(c) return string.format("\\x%02x", c:byte()) end)
  return 'b"' .. out .. '"'
end

-- ---- references between modules ------------------------------------------

local Module = {}
Module.__index = Module

local function new_module(name, path, names)
  return setmetatable({ name = name, path = path, files = {}, names = names, imports = {},
    grpc_imports = {}, messages = {}, enums = {} }, Module)
end

function Module:prefix_for(node)
  local other = self.names.module_of[node.file]
  if other == self.name then return "" end
  self.imports[other] = true
  return self.names:import_alias(other) .. "."
end

function Module:message_ref(message)
  return self:prefix_for(message) .. self.names:message_qualname(message)
end

function Module:message_codec(message, which)
  return self:prefix_for(message) .. which .. self.names:message_flat(message)
end

--- A message class seen from this module's gRPC companion (another file).
function Module:message_ref_grpc(message)
  local other = self.names.module_of[message.file]
  self.grpc_imports[other] = true
  return self.names:import_alias(other) .. "." .. self.names:message_qualname(message)
end

function Module:enum_ref(enum)
  return self:prefix_for(enum) .. self.names:enum_qualname(enum)
end

function Module:enum_flat(enum)
  return self:prefix_for(enum) .. self.names:enum_flat(enum)
end

-- ---- field plans ------------------------------------------------------------

local function zero_of_enum(mod, enum)
  return mod:enum_flat(enum) .. "." .. mod.names.rules.enum_value(enum.values[1])
end

-- The class-body default of an enum field of `message`: top-level enums and
-- the message's own nested enums are in scope; any other nested enum is only
-- reachable once the module is loaded, hence a factory.
local function enum_default_in_class(mod, message, enum, member)
  local value = member or mod.names.rules.enum_value(enum.values[1])
  if not enum.parent and mod.names.module_of[enum.file] == mod.name then
    return enum.name and (mod.names:enum_qualname(enum) .. "." .. value)
  end
  if enum.parent == message then
    return mod.names:class_name(enum) .. "." .. value
  end
  return string.format("dataclasses.field(default_factory=lambda: %s.%s)", mod:enum_ref(enum), value)
end

-- The plan of a singular value of `field` (also used for map keys/values).
local function value_plan(mod, field)
  local kind = field.wire_type
  local p = { kind = kind, number = field.number, utf8 = field.utf8_validation }
  if kind == "message" or kind == "group" then
    local t = field.type_ref
    p.py_type = mod:message_ref(t)
    p.zero = "None"
    p.msg_decode = mod:message_codec(t, "_d_")
    p.msg_encode = mod:message_codec(t, "_e_")
    p.type_expr = mod:message_ref(t)
  elseif kind == "enum" then
    local e = field.type_ref
    p.py_type = mod:enum_ref(e)
    p.zero = zero_of_enum(mod, e)
    p.enum_flat = mod:enum_flat(e)
    p.enum_closed = e.closed
    p.type_expr = mod:enum_flat(e)
  else
    p.py_type = scalar_py[kind]
    p.zero = scalar_zero[kind] or "0"
  end
  return p
end

local function default_literal(field, p, mod)
  local d = field.default
  if d == nil then return "None" end
  local kind = p.kind
  if kind == "string" then return py_string(d) end
  if kind == "bytes" then return py_bytes(d) end
  if kind == "bool" then return d and "True" or "False" end
  if kind == "enum" then return mod:enum_flat(field.type_ref) .. "." .. d end
  if kind == "float" or kind == "double" then
    if d == "inf" then return 'float("inf")' end
    if d == "-inf" then return 'float("-inf")' end
    if d == "nan" or d == "-nan" then return 'float("nan")' end
    if kind == "float" then d = string.unpack("<f", string.pack("<f", d)) end -- what float32 keeps
    local text = string.format("%.17g", d)
    if text == "inf" then return 'float("inf")' elseif text == "-inf" then return 'float("-inf")' end
    if not text:find("[.eE]") then text = text .. ".0" end -- a float literal, not an int
    return text
  end
  return field.default_text or tostring(math.tointeger(d) or d)
end

local function field_plan(mod, message, field, attr)
  local f = field.map and { kind = "message", number = field.number } or value_plan(mod, field)
  f.attr = attr
  f.name = field.name
  f.full_name = field.full_name
  f.json_name = field.json_name
  f.message_full_name = message.full_name
  f.repeated = field.repeated
  f.required = field.required
  f.packed = field.packed
  f.delimited = field.delimited
  f.oneof = field.oneof and not field.oneof.synthetic and field.oneof.name or nil
  f.presence = not field.repeated and not field.map and field.presence == "explicit"
  f.default = default_literal(field, f, mod)
  if field.map then
    f.map = { key = value_plan(mod, field.map.key), value = value_plan(mod, field.map.value) }
    f.entry_decode = "_de_" .. mod.names:message_flat(message) .. "_" .. attr
    f.py_type = string.format("dict[%s, %s]", f.map.key.py_type, f.map.value.py_type)
    f.class_default = "dataclasses.field(default_factory=dict)"
    f.decode_init = "{}"
  elseif field.repeated then
    f.py_type = string.format("list[%s]", f.py_type)
    f.class_default = "dataclasses.field(default_factory=list)"
    f.decode_init = "[]"
  elseif f.presence then
    f.py_type = f.py_type .. " | None"
    f.class_default = "None"
    f.decode_init = "None"
  else
    f.class_default = f.kind == "enum" and enum_default_in_class(mod, message, field.type_ref) or f.zero
    f.decode_init = f.zero
  end
  return f
end

-- Python attribute names of a message's fields; two IDL names that map to
-- one Python name are an error naming both.
local function where(node)
  local loc = node.loc
  return string.format("%s:%d:%d", loc and loc.file or "?", loc and loc.line or 0, loc and loc.col or 0)
end

local function attribute_names(ctx, message, names)
  local rules, seen, out = ctx.rules, {}, {}
  -- nested classes share the class body's namespace with the fields
  for _, nested in ipairs(message.messages) do
    if not nested.is_map_entry then seen[names:class_name(nested)] = nested end
  end
  for _, nested in ipairs(message.enums) do seen[names:class_name(nested)] = nested end
  -- module-level classes the annotations of this class body name (the
  -- enclosing top-level class, the types of fields): a field must not hide them
  local annotated = {}
  local top = message
  while top.parent do top = top.parent end
  annotated[names:class_name(top)] = true
  for _, field in ipairs(message.fields) do
    local ref = field.map and field.map.value.type_ref or field.type_ref
    if ref then
      local outer = ref
      while outer.parent do outer = outer.parent end
      if names.module_of[outer.file] == names.module_of[message.file] then annotated[names:class_name(outer)] = true end
    end
  end
  for i, field in ipairs(message.fields) do
    local attr = rules.field(field)
    if names_mod.message_taken[attr] or names_mod.module_taken[attr] or python.type_names[attr]
      or python.is_dunder(attr) or annotated[attr] then
      attr = attr .. "_"
    end
    local other = seen[attr]
    if other and other.kind == "field" then
      ctx.host.report("error", string.format(
        "fields %q (line %d) and %q (line %d) of %s both become the Python attribute %q; rename one",
        other.name, other.loc.line, field.name, field.loc.line, message.full_name, attr), field.loc)
    elseif other then
      ctx.host.report("error", string.format(
        "nested %s %q (%s) and field %q (%s) of %s both become the Python name %q; rename one",
        other.kind, other.name, where(other), field.name, where(field), message.full_name, attr), field.loc)
    end
    seen[attr] = field
    out[i] = attr
  end
  return out
end

local SMALL_ONEOF = 8

local function message_plan(ctx, mod, message)
  local names = mod.names
  local plan = {
    message = message,
    qualname = names:message_qualname(message),
    flat = names:message_flat(message),
    fields = {},
    oneofs = {},
  }
  local attrs = attribute_names(ctx, message, names)
  for i, field in ipairs(message.fields) do
    plan.fields[i] = field_plan(mod, message, field, attrs[i])
  end
  -- oneof siblings: decoding one member clears the others
  for _, oneof in ipairs(message.oneofs) do
    if not oneof.synthetic then
      local members = {}
      for i, field in ipairs(message.fields) do
        if field.oneof == oneof then members[#members + 1] = plan.fields[i] end
      end
      local group = { name = oneof.name, members = members, index = #plan.oneofs + 1 }
      plan.oneofs[#plan.oneofs + 1] = group
      if #members <= SMALL_ONEOF then
        -- few members: each decoding branch clears its siblings directly
        for _, f in ipairs(members) do
          f.oneof_siblings = {}
          for _, g in ipairs(members) do
            if g ~= f then f.oneof_siblings[#f.oneof_siblings + 1] = g.attr end
          end
        end
      else
        -- many (google.ads' ErrorCode has hundreds): the decoder tracks which
        -- member came last, in linear rather than quadratic code
        group.var = "o_" .. group.index
        for i, f in ipairs(members) do
          f.oneof_group, f.oneof_position = group, i
        end
      end
    end
  end
  local by_number = {}
  for i, f in ipairs(plan.fields) do by_number[i] = f end
  table.sort(by_number, function(a, b) return a.number < b.number end)
  plan.fields_by_number = by_number
  return plan
end

-- ---- writing -----------------------------------------------------------------------

-- Whether some member's Python name is not its IDL name (escaped or renamed),
-- or looks escaped (`class_` in the IDL): then the IDL names are written out.
local function enum_renamed(mod, enum)
  for _, v in ipairs(enum.values) do
    if mod.names.rules.enum_value(v) ~= v.name or v.name:sub(-1) == "_" then return true end
  end
  return false
end

local function write_enum(w, mod, enum)
  local names = mod.names
  local rules = names.rules
  w:line("class %s(enum.IntEnum):", names:class_name(enum))
  w:indent()
  docstring(w, enum.comments)
  w:line("_ms_full_name: typing.ClassVar[str]")
  w:line("_ms_closed: typing.ClassVar[bool]")
  if enum_renamed(mod, enum) then w:line("_ms_value_names: typing.ClassVar[dict[str, int]]") end
  w:blank()
  local seen = {}
  for _, v in ipairs(enum.values) do
    local member = rules.enum_value(v)
    local other = seen[member]
    if other then
      mod.host.report("error", string.format(
        "enum values %q (%s) and %q (%s) of %s both become the Python member %q; rename one", other.name,
        where(other), v.name, where(v), enum.full_name, member), v.loc)
    end
    seen[member] = v
    w:line("%s = %d", member, v.number)
  end
  if not enum.closed then
    w:blank()
    w:line("@classmethod")
    w:line("def _missing_(cls, value: object) -> %s | None:", names:enum_qualname(enum))
    w:line("    return _ms.open_enum_member(cls, value)")
  end
  w:dedent()
  w:blank(enum.parent and 1 or 2)
end

local function write_class(ctx, w, mod, message)
  local names = mod.names
  local plan = message_plan(ctx, mod, message)
  mod.plans[#mod.plans + 1] = plan
  local bases = { "_ms.Message" }
  local mixin = wkt_mixins[message.full_name]
  if mixin then table.insert(bases, 1, mixin) end
  w:line("@dataclasses.dataclass(slots=True, repr=False)")
  w:line("class %s(%s):", names:class_name(message), table.concat(bases, ", "))
  w:indent()
  local had_doc = docstring(w, message.comments)
  if had_doc then w:blank() end
  for _, enum in ipairs(message.enums) do
    w:blank()
    write_enum(w, mod, enum)
  end
  for _, nested in ipairs(message.messages) do
    if not nested.is_map_entry then
      w:blank()
      write_class(ctx, w, mod, nested)
      w:blank()
    end
  end
  if #message.enums > 0 or #message.messages > 0 then w:blank() end
  if not had_doc and #message.enums == 0 and #message.messages == 0 and #plan.fields == 0 then
    -- an empty message still gets its unknown-field store below
  end
  for _, f in ipairs(plan.fields) do
    w:line("%s: %s = %s", f.attr, f.py_type, f.class_default)
  end
  w:line("_unknown: bytes = dataclasses.field(default=b\"\", repr=False, compare=False)")
  if #plan.oneofs > 0 then
    w:blank()
    w:line("def __setattr__(self, name: str, value: typing.Any) -> None:")
    w:indent()
    w:line("members = _ONEOF_SIBLINGS_%s.get(name)", plan.flat)
    w:line("if members is not None and value is not None:")
    w:line("    for other in members:")
    w:line("        if other != name:")
    w:line("            object.__setattr__(self, other, None)")
    w:line("object.__setattr__(self, name, value)")
    w:dedent()
  end
  w:dedent()
  w:blank()
end

-- Each member maps to its oneof's member tuple (one tuple per oneof, so the
-- table grows linearly with the members); setting a member clears the others.
local function write_oneof_tables(w, plan)
  if #plan.oneofs == 0 then return end
  local entries = {}
  for i, o in ipairs(plan.oneofs) do
    local names = {}
    for j, f in ipairs(o.members) do names[j] = py_string(f.attr) end
    w:line("_ONEOF_%d_%s = (%s%s)", i, plan.flat, table.concat(names, ", "), #names == 1 and "," or "")
    for j = 1, #o.members do entries[#entries + 1] = string.format("%s: _ONEOF_%d_%s", names[j], i, plan.flat) end
  end
  w:line("_ONEOF_SIBLINGS_%s: dict[str, tuple[str, ...]] = {%s}", plan.flat, table.concat(entries, ", "))
end

local function field_info(f)
  local args = {
    py_string(f.attr), py_string(f.name), py_string(f.json_name), tostring(f.number),
    "_ms." .. kind_const[f.map and "message" or f.kind], f.repeated and not f.map and "True" or "False",
    f.presence and "True" or "False", f.oneof and py_string(f.oneof) or "None",
  }
  local extra = {}
  if f.type_expr and not f.map then extra[#extra + 1] = "type=" .. f.type_expr end
  if f.map then
    extra[#extra + 1] = "map_key=_ms." .. kind_const[f.map.key.kind]
    extra[#extra + 1] = "map_value=_ms." .. kind_const[f.map.value.kind]
    if f.map.value.type_expr then extra[#extra + 1] = "map_type=" .. f.map.value.type_expr end
  end
  if f.default ~= "None" then extra[#extra + 1] = "default=" .. f.default end
  for _, e in ipairs(extra) do args[#args + 1] = e end
  return "_ms.FieldInfo(" .. table.concat(args, ", ") .. ")"
end

local function write_tables(w, mod)
  -- field tables name classes of other modules, which may still be loading
  -- when packages import each other: they are built on first use
  w:line("def _ms_init_fields() -> None:")
  w:indent()
  local any = false
  for _, plan in ipairs(mod.plans) do
    if #plan.fields > 0 then
      any = true
      w:line("%s._ms_fields = (", plan.qualname)
      for _, f in ipairs(plan.fields) do w:line("    %s,", field_info(f)) end
      w:line(")")
    end
  end
  if not any then w:line("pass") end
  w:dedent()
  w:blank(2)
  w:line("def _ms_init() -> None:")
  w:indent()
  for _, plan in ipairs(mod.plans) do
    local c = plan.qualname
    w:line("%s._ms_full_name = %s", c, py_string(plan.message.full_name))
    w:line("%s._ms_encoder = _e_%s", c, plan.flat)
    w:line("%s._ms_decoder = _d_%s", c, plan.flat)
    if #plan.oneofs > 0 then
      local items = {}
      for _, o in ipairs(plan.oneofs) do
        local members = {}
        for _, f in ipairs(o.members) do members[#members + 1] = py_string(f.attr) end
        items[#items + 1] = string.format("%s: (%s%s)", py_string(o.name), table.concat(members, ", "),
          #members == 1 and "," or "")
      end
      w:line("%s._ms_oneofs = {%s}", c, table.concat(items, ", "))
    end
    w:line("_ms.register(%s)", c)
  end
  for _, enum in ipairs(mod.enums) do
    local q = mod.names:enum_qualname(enum)
    w:line("%s._ms_full_name = %s", q, py_string(enum.full_name))
    w:line("%s._ms_closed = %s", q, enum.closed and "True" or "False")
    if enum_renamed(mod, enum) then
      -- IDL names for JSON, where a member's Python name is not its IDL name
      local items = {}
      for _, v in ipairs(enum.values) do items[#items + 1] = string.format("%s: %d", py_string(v.name), v.number) end
      w:line("%s._ms_value_names = {%s}", q, table.concat(items, ", "))
    end
  end
  w:line("_ms.defer_fields(_ms_init_fields)")
  w:dedent()
  w:blank(2)
  w:line("_ms_init()")
end

local function collect(mod, message)
  if message.is_map_entry then return end
  mod.messages[#mod.messages + 1] = message
  for _, e in ipairs(message.enums) do mod.enums[#mod.enums + 1] = e end
  for _, m in ipairs(message.messages) do collect(mod, m) end
end

local HEADER_ALIASES = [[
_DecodeError = _ms.DecodeError
_MAX_DEPTH = _ms.MAX_DEPTH
_read_varint = _ms.read_varint
_read_tag = _ms.read_tag
_read_length = _ms.read_length
_range_error = _ms.range_error
_range_errors = _ms.range_errors
_skip = _ms.skip_field
_varint = _ms.varint
_to_int32 = _ms.to_int32
_to_int64 = _ms.to_int64
_zz_enc = _ms.zigzag_encode
_zz_dec = _ms.zigzag_decode
_zz_dec32 = _ms.zigzag_decode32
_utf8 = _ms.decode_utf8
_utf8_lenient = _ms.decode_utf8_lenient
_enc_utf8 = _ms.encode_utf8
_enc_utf8_lenient = _ms.encode_utf8_lenient
_copysign = math.copysign]]

-- Two IDL types of one scope (a module or a message) that become one Python
-- class name are an error naming both.
local function check_class_names(ctx, mod, scope_name, nodes)
  local seen = {}
  for _, node in ipairs(nodes) do
    if not node.is_map_entry then
      local name = mod.names:class_name(node)
      local other = seen[name]
      if other then
        ctx.host.report("error", string.format(
          "%s (%s:%d) and %s (%s:%d) both become the Python class %s.%s; rename one",
          other.full_name, other.loc.file, other.loc.line, node.full_name, node.loc.file, node.loc.line,
          scope_name, name), node.loc)
      end
      seen[name] = node
    end
  end
end

local function check_scopes(ctx, mod, message)
  local nodes = {}
  for _, m in ipairs(message.messages) do nodes[#nodes + 1] = m end
  for _, e in ipairs(message.enums) do nodes[#nodes + 1] = e end
  check_class_names(ctx, mod, mod.names:message_qualname(message), nodes)
  for _, m in ipairs(message.messages) do check_scopes(ctx, mod, m) end
end

--- The text of one module.
function M.module_text(ctx, mod)
  mod.host = ctx.host
  local top = {}
  for _, file in ipairs(mod.files) do
    for _, m in ipairs(file.messages) do top[#top + 1] = m end
    for _, e in ipairs(file.enums) do top[#top + 1] = e end
  end
  check_class_names(ctx, mod, mod.name, top)
  for _, file in ipairs(mod.files) do
    for _, m in ipairs(file.messages) do check_scopes(ctx, mod, m) end
  end
  mod.plans = {}
  local body = Writer.new()
  for _, file in ipairs(mod.files) do
    for _, e in ipairs(file.enums) do mod.enums[#mod.enums + 1] = e end
    for _, m in ipairs(file.messages) do collect(mod, m) end
  end
  for _, enum in ipairs(mod.enums) do
    if not enum.parent then write_enum(body, mod, enum) end
  end
  for _, file in ipairs(mod.files) do
    for _, message in ipairs(file.messages) do
      body:blank(2)
      write_class(ctx, body, mod, message)
    end
  end
  local codecs = Writer.new()
  for _, enum in ipairs(mod.enums) do
    if enum.parent then
      codecs:line("%s = %s", mod.names:enum_flat(enum), mod.names:enum_qualname(enum))
    end
  end
  for _, plan in ipairs(mod.plans) do write_oneof_tables(codecs, plan) end
  codecs:blank()
  for _, plan in ipairs(mod.plans) do
    codec.write_map_entry_decoders(codecs, plan)
    codec.write_encoder(codecs, plan)
    codec.write_decoder(codecs, plan)
  end
  write_tables(codecs, mod)

  -- rules that keep services in the package module (aristaproto's layout)
  local service_text, service_imports, service_support = nil, {}, {}
  if ctx.service_settings then
    local services = {}
    for _, file in ipairs(mod.files) do
      if file.is_target then
        for _, service in ipairs(file.services) do services[#services + 1] = service end
      end
    end
    local settings = ctx.service_settings
    if #services > 0 and (#settings.clients > 0 or settings.server) then
      local grpc_emitter = require("emitters.python.grpc")
      local services_mod = require("emitters.python.services")
      local plans = grpc_emitter.service_plans(ctx, services, function(m) return mod:message_ref(m) end)
      -- the clients and bases share the module with its messages and enums
      local classes = {}
      for _, file in ipairs(mod.files) do
        for _, m in ipairs(file.messages) do classes[mod.names:class_name(m)] = m end
        for _, e in ipairs(file.enums) do classes[mod.names:class_name(e)] = e end
      end
      for _, svc in ipairs(plans) do
        local made = {}
        for _, c in ipairs(settings.clients) do made[#made + 1] = ctx.rules.service_stub(svc.service) .. c.suffix end
        if settings.server then made[#made + 1] = ctx.rules.service_base(svc.service) end
        for _, name in ipairs(made) do
          local other = classes[name]
          if other then
            ctx.host.report("error", string.format(
              "%s %q (%s, %s) and service %q (%s, %s) both become the class %q of module %s; rename one",
              other.kind, other.name, other.full_name, where(other), svc.service.name, svc.service.full_name,
              where(svc.service), name, mod.name), svc.service.loc)
          end
        end
      end
      local sw = Writer.new()
      sw:line(services_mod.METADATA_ALIAS)
      sw:blank(2)
      for _, svc in ipairs(plans) do services_mod.write_service(sw, ctx, svc, settings) end
      service_text = sw:text()
      service_imports, service_support = services_mod.imports(settings, function(module, alias)
        return ctx.import_lines(mod, module, alias)
      end)
      mod.needs_grpc_support = true
    end
  end

  local w = Writer.new()
  local sources = {}
  for _, file in ipairs(mod.files) do sources[#sources + 1] = file.path end
  w:line('"""Generated by moonstub from %s. Do not edit."""', table.concat(sources, ", "))
  w:blank()
  w:line("from __future__ import annotations")
  w:blank()
  local has_asyncio = false
  for _, l in ipairs(service_imports) do has_asyncio = has_asyncio or l == "import asyncio" end
  if has_asyncio then w:line("import asyncio") end
  w:line("import dataclasses")
  if #mod.enums > 0 then w:line("import enum") end
  w:line("import math")
  w:line("import typing")
  w:blank()
  for _, l in ipairs(service_imports) do
    if l ~= "import asyncio" and l ~= "" then w:line(l) end
  end
  if #service_imports > 0 then w:blank() end
  for _, line in ipairs(ctx.import_lines(mod, "_moonstub", "_ms")) do w:line(line) end
  for _, line in ipairs(service_support) do w:line(line) end
  local others = {}
  for other in pairs(mod.imports) do others[#others + 1] = other end
  table.sort(others)
  for _, other in ipairs(others) do
    for _, line in ipairs(ctx.import_lines(mod, other, mod.names:import_alias(other))) do w:line(line) end
  end
  w:blank()
  w:lines(HEADER_ALIASES)
  w:blank(2)
  local out = w:text() .. "\n\n" .. body:text() .. "\n\n" .. codecs:text()
  if service_text then out = out .. "\n\n" .. service_text end
  return out
end

M.new_module = new_module

return M
