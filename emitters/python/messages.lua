-- Python modules of message classes and enums with the protobuf wire codec:
-- one module per package (the rules decide the module name and path).
local Writer = require("emitters.writer")
local names_mod = require("emitters.python.names")
local python = require("rules.python")
local text = require("emitters.python.text")
local py_string, docstring, write_call = text.py_string, text.docstring, text.write_call
local write_expr, expr_lines = text.write_expr, text.expr_lines

local M = {}

-- generated lines stay within this many columns (ruff's E501 at 120)
local LINE_LIMIT = 120

local scalar_py = {
  double = "float", float = "float", int64 = "int", uint64 = "int", int32 = "int", fixed64 = "int",
  fixed32 = "int", bool = "bool", string = "str", bytes = "bytes", uint32 = "int",
  sfixed32 = "int", sfixed64 = "int", sint32 = "int", sint64 = "int",
}
local scalar_zero = {
  double = "0.0", float = "0.0", bool = "False", string = '""', bytes = 'b""',
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
    grpc_imports = {}, side_effect_imports = {}, messages = {}, enums = {} }, Module)
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

--- A message class seen from this module's gRPC companion (another file).
function Module:message_ref_grpc(message)
  local other = self.names.module_of[message.file]
  self.grpc_imports[other] = true
  return self.names:import_alias(other) .. "." .. self.names:message_qualname(message)
end

function Module:enum_ref(enum)
  return self:prefix_for(enum) .. self.names:enum_qualname(enum)
end

-- ---- field plans ------------------------------------------------------------

-- The plan of a singular value of `field` (also used for map keys/values).
local function value_plan(mod, field)
  local kind = field.wire_type
  local p = { kind = kind, number = field.number, utf8 = field.utf8_validation }
  if kind == "message" or kind == "group" then
    local t = field.type_ref
    p.py_type = mod:message_ref(t)
    p.zero = "None"
  elseif kind == "enum" then
    local e = field.type_ref
    p.py_type = mod:enum_ref(e)
    p.zero = "None"
  else
    p.py_type = scalar_py[kind]
    p.zero = scalar_zero[kind] or "0"
  end
  return p
end

local function default_literal(field, p)
  local d = field.default
  if d == nil then return "None" end
  local kind = p.kind
  if kind == "string" then return py_string(d) end
  if kind == "bytes" then return py_bytes(d) end
  if kind == "bool" then return d and "True" or "False" end
  if kind == "enum" then
    for _, v in ipairs(field.type_ref.values) do
      if v.name == d then return tostring(v.number) end
    end
  end
  if kind == "float" or kind == "double" then
    if d == "inf" then return 'float("inf")' end
    if d == "-inf" then return 'float("-inf")' end
    if d == "nan" or d == "-nan" then return 'float("nan")' end
    if kind == "float" then d = string.unpack("<f", string.pack("<f", d)) end -- what float32 keeps
    local shown = string.format("%.17g", d)
    if shown == "inf" then return 'float("inf")' elseif shown == "-inf" then return 'float("-inf")' end
    if not shown:find("[.eE]") then shown = shown .. ".0" end -- a float literal, not an int
    return shown
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
  f.default = default_literal(field, f)
  if field.map then
    f.map = { key = value_plan(mod, field.map.key), value = value_plan(mod, field.map.value) }
    f.py_type = string.format("dict[%s, %s]", f.map.key.py_type, f.map.value.py_type)
  elseif field.repeated then
    f.py_type = string.format("list[%s]", f.py_type)
  elseif f.presence then
    f.py_type = f.py_type .. " | None"
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
  -- (unless the rules flatten them to module level)
  for _, nested in ipairs(message.messages) do
    if not nested.is_map_entry and not names:flattened(nested) then seen[names:class_name(nested)] = nested end
  end
  for _, nested in ipairs(message.enums) do
    if not names:flattened(nested) then seen[names:class_name(nested)] = nested end
  end
  -- a nested class cannot take the name of a member an extra emitter adds to every class
  local members = ctx.members or {}
  for _, list in ipairs({ message.messages, message.enums }) do
    for _, node in ipairs(list) do
      local name = not node.is_map_entry and names:class_name(node)
      if name and members[name] then
        ctx.host.report("error", string.format("nested %s %q (%s) of %s becomes the class attribute %q, which "
          .. "the emitter %s adds to every message class; rename it", node.kind, node.name, where(node),
          message.full_name, name, members[name]), node.loc)
      end
    end
  end
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
    if field.number == 0 then
      -- Fory IDL accepts field number 0 (a warning there); protobuf's wire cannot carry it
      ctx.host.report("error", string.format("field %q of %s has number 0, which the protobuf codec cannot write "
        .. "(protobuf field numbers start at 1): renumber it, or use --codec=fory", field.name,
        message.full_name), field.loc)
    end
    local attr = rules.field(field)
    if names_mod.message_taken[attr] or names_mod.module_taken[attr] or python.type_names[attr]
      or python.is_dunder(attr) or annotated[attr] or members[attr] then
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

local function message_plan(ctx, mod, message)
  local names = mod.names
  local plan = { message = message, qualname = names:message_qualname(message), fields = {} }
  local attrs = attribute_names(ctx, message, names)
  for i, field in ipairs(message.fields) do
    plan.fields[i] = field_plan(mod, message, field, attrs[i])
  end
  return plan
end

-- ---- writing -----------------------------------------------------------------------

local write_joined_docstring = text.write_joined_docstring

-- The docstring lines of a message as aristaproto writes them: its joined
-- comments, then its oneofs with theirs.
local function message_doc_lines(message, joined)
  local lines = joined(message.comments) or {}
  local oneofs = {}
  for _, o in ipairs(message.oneofs) do
    if not o.synthetic then oneofs[#oneofs + 1] = o end
  end
  if #oneofs == 0 then return lines end
  if #lines > 0 then lines[#lines + 1] = "" end
  lines[#lines + 1] = "Oneofs:"
  for _, o in ipairs(oneofs) do
    local doc = joined(o.comments) or { "" }
    lines[#lines + 1] = ("    - " .. o.name .. ": " .. doc[1]):gsub("%s+$", "")
    for i = 2, #doc do lines[#lines + 1] = doc[i] == "" and "" or ("        " .. doc[i]) end
  end
  return lines
end

-- aristaproto's layout: every field as a class-level annotation of its
-- stored type, its comments below it (the annotations declare no values, so
-- __slots__ still holds the fields).
local function write_field_annotations(w, message, plan, joined)
  for i, f in ipairs(plan.fields) do
    local one = string.format("%s: %s", f.attr, f.py_type)
    if #one + w:indent_width() <= LINE_LIMIT then
      w:line("%s", one)
    else
      w:line("%s: (", f.attr)
      for _, l in ipairs(expr_lines(f.py_type, LINE_LIMIT - w:indent_width() - 4)) do text.put(w, "    " .. l) end
      w:line(")")
    end
    if write_joined_docstring(w, joined(message.fields[i].comments)) and i < #plan.fields then w:blank() end
  end
end

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
  write_expr(w, "class ", names:class_name(enum) .. "(enum.IntEnum)", ":", { bare = true })
  w:indent()
  local joined = rules.join_comments and require("emitters.python.services").joined_comment_lines
  if joined then
    if write_joined_docstring(w, joined(enum.comments)) then w:blank() end
  elseif docstring(w, enum.comments) then
    w:blank()
  end
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
    write_expr(w, member .. " = ", string.format("%d", v.number))
    -- aristaproto's layout: each member's comments below it
    if joined then write_joined_docstring(w, joined(v.comments)) end
  end
  if not enum.closed then
    w:blank()
    w:line("@classmethod")
    local returns = names:enum_qualname(enum) .. " | None"
    local head = "def _missing_(cls, value: object) -> "
    if #head + #returns + 1 + w:indent_width() <= LINE_LIMIT then
      w:line("%s%s:", head, returns)
    else
      w:line("%s(", head)
      for _, l in ipairs(expr_lines(returns, LINE_LIMIT - w:indent_width() - 4)) do text.put(w, "    " .. l) end
      w:line("):")
    end
    w:line("    return _ms.open_enum_member(cls, value)")
  end
  w:dedent()
  w:blank((enum.parent and not names:flattened(enum)) and 1 or 2)
end

-- The `__init__` parameter of a field: (annotation, default, assignment).
-- Enum defaults are evaluated when the class body runs; an enum defined
-- later in the module (nested in another message) is looked up at call time.
local function init_parameter(mod, message, f, field)
  if f.map then
    return f.py_type .. " | None", "None", string.format("{} if %s is None else %s", f.attr, f.attr)
  elseif f.repeated then
    return f.py_type .. " | None", "None", string.format("[] if %s is None else %s", f.attr, f.attr)
  elseif f.presence then
    return f.py_type, "None", f.attr
  elseif f.kind == "enum" then
    local enum = field.type_ref
    local member = mod.names.rules.enum_value(enum.values[1])
    -- an enum of another module may still be loading (modules may import
    -- each other), and one nested in a later class does not exist yet
    local here = mod.names.module_of[enum.file] == mod.name
    if here and (not enum.parent or mod.names:flattened(enum)) then
      return f.py_type, mod.names:enum_qualname(enum) .. "." .. member, f.attr
    elseif here and enum.parent == message then
      return f.py_type, mod.names:class_name(enum) .. "." .. member, f.attr
    end
    return f.py_type .. " | None", "None",
      string.format("%s.%s if %s is None else %s", mod:enum_ref(enum), member, f.attr, f.attr)
  end
  return f.py_type, f.zero, f.attr
end

-- Under rules with deprecation_warnings: the warnings a constructor gives for
-- a deprecated message, and for each deprecated field it is given.
local function deprecation_lines(mod, message, plan)
  if not mod.deprecation_warnings then return {} end
  -- each a statement {head, expr, tail, depth} for text.write_expr
  local lines = {}
  if message.options.deprecated == true then
    lines[1] = { "", string.format("_ms.deprecated(%s)", py_string(plan.qualname)), "", 0 }
  end
  for i, f in ipairs(plan.fields) do
    if message.fields[i].options.deprecated == true then
      local _, default = init_parameter(mod, message, f, message.fields[i])
      -- (a bool is tested as one: "!= False" is E712)
      local test = default == "None" and (f.attr .. " is not None") or default == "False" and f.attr
        or (f.attr .. " != " .. default)
      lines[#lines + 1] = { "if ", test, ":", 0 }
      lines[#lines + 1] = { "", string.format("_ms.deprecated(%s)", py_string(plan.qualname .. "." .. f.attr)), "", 1 }
    end
  end
  return lines
end

-- A statement of deprecation_lines.
local function write_warning(w, l)
  for _ = 1, l[4] do w:indent() end
  write_expr(w, l[1], l[2], l[3])
  for _ = 1, l[4] do w:dedent() end
end

-- One `__init__` parameter, `attr: annotation = default,`, broken inside
-- parentheses around the default, or around the annotation, when too long.
local function write_parameter(w, attr, annotation, default)
  local room = LINE_LIMIT - w:indent_width()
  local p = string.format("%s: %s = %s", attr, annotation, default)
  if #p + 1 <= room then
    w:line("%s,", p)
  elseif #attr + #annotation + 6 <= room then
    write_expr(w, string.format("%s: %s = ", attr, annotation), default, ",")
  else
    local open, inner, close = annotation:match("^([%w_.]+%[)(.*)(%].*)$")
    local tail = string.format("%s = %s,", close or "", default)
    if open and #inner + 8 > room and #inner + 4 <= room and #attr + #open + 2 <= room and #tail <= room then
      -- a subscript whose inner type fits only one level deeper: `attr: list[` / inner / `] | None = None,`
      w:line("%s: %s", attr, open)
      w:line("    %s", inner)
      w:line("%s", tail)
      return
    end
    w:line("%s: (", attr)
    if open and #annotation + 4 > room and #inner + 8 <= room then
      -- (as before: a subscript whose inner type fits)
      w:line("    %s", open)
      w:line("        %s", inner)
      w:line("    %s", close)
    else
      for _, l in ipairs(expr_lines(annotation, room - 4)) do text.put(w, "    " .. l) end
    end
    write_expr(w, ") = ", default, ",")
  end
end

local function write_init(w, mod, message, plan)
  local warn = deprecation_lines(mod, message, plan)
  if #plan.fields == 0 then
    w:line("def __init__(self) -> None:")
    w:indent()
    for _, l in ipairs(warn) do write_warning(w, l) end
    w:line('self._unknown = b""')
    w:dedent()
    return
  end
  local params, body = {}, {}
  for i, f in ipairs(plan.fields) do
    local annotation, default, value = init_parameter(mod, message, f, message.fields[i])
    params[i] = string.format("%s: %s = %s", f.attr, annotation, default)
    body[i] = { "self." .. f.attr .. " = ", value, "", 0 }
  end
  for i, l in ipairs(warn) do table.insert(body, i, l) end
  local one_line = "def __init__(self, " .. table.concat(params, ", ") .. ") -> None:"
  if #one_line + w:indent_width() <= LINE_LIMIT then
    w:line("%s", one_line)
  else
    w:line("def __init__(")
    w:indent()
    w:line("self,")
    for i, f in ipairs(plan.fields) do
      -- a long parameter: its default, or its annotation, in parentheses on lines of their own
      local annotation, default = init_parameter(mod, message, f, message.fields[i])
      write_parameter(w, f.attr, annotation, default)
    end
    w:dedent()
    w:line(") -> None:")
  end
  w:indent()
  for _, b in ipairs(body) do write_warning(w, b) end
  w:line('self._unknown = b""')
  w:dedent()
end

local function write_class(ctx, w, mod, message)
  local names = mod.names
  local plan = message_plan(ctx, mod, message)
  mod.plans[#mod.plans + 1] = plan
  local bases = { "_ms.Message" }
  local mixin = wkt_mixins[message.full_name]
  if mixin then table.insert(bases, 1, mixin) end
  write_expr(w, "class ", string.format("%s(%s)", names:class_name(message), table.concat(bases, ", ")), ":",
    { bare = true })
  w:indent()
  local joined = ctx.rules.join_comments and require("emitters.python.services").joined_comment_lines
  if joined then
    if write_joined_docstring(w, message_doc_lines(message, joined)) then w:blank() end
    if #plan.fields > 0 then
      write_field_annotations(w, message, plan, joined)
      w:blank()
    end
  elseif docstring(w, message.comments) then
    w:blank()
  end
  local slots = {}
  for i, f in ipairs(plan.fields) do slots[i] = py_string(f.attr) end
  if #slots == 0 then
    w:line("__slots__ = ()")
  elseif #slots == 1 then
    w:line("__slots__ = (%s,)", slots[1])
  else
    local one = "__slots__ = (" .. table.concat(slots, ", ") .. ")"
    if #one + w:indent_width() <= 120 then
      w:line("%s", one)
    else
      w:line("__slots__ = (")
      for _, s in ipairs(slots) do w:line("    %s,", s) end
      w:line(")")
    end
  end
  for _, enum in ipairs(message.enums) do
    if not names:flattened(enum) then
      w:blank()
      write_enum(w, mod, enum)
    end
  end
  for _, nested in ipairs(message.messages) do
    if not nested.is_map_entry and not names:flattened(nested) then
      w:blank()
      write_class(ctx, w, mod, nested)
    end
  end
  w:blank()
  write_init(w, mod, message, plan)
  -- where other emitters add to the class (docs/lua-api.md, insertion points)
  w:blank()
  local marker = string.format("# @@protoc_insertion_point(class_scope:%s)", message.full_name)
  -- a marker cannot be wrapped: a long one tells the linters so
  if #marker + w:indent_width() > LINE_LIMIT then marker = marker .. "  # noqa: E501" end
  w:line("%s", marker)
  w:dedent()
end

-- ---- the field tables (docs/codec.md) --------------------------------------------

local kind_number = {
  double = 1, float = 2, int64 = 3, uint64 = 4, int32 = 5, fixed64 = 6, fixed32 = 7, bool = 8,
  string = 9, group = 10, message = 11, bytes = 12, uint32 = 13, enum = 14, sfixed32 = 15,
  sfixed64 = 16, sint32 = 17, sint64 = 18, map = 19,
}
M.kind_number = kind_number

local F_REPEATED, F_PACKED, F_PRESENCE, F_REQUIRED, F_UTF8, F_DELIMITED = 1, 2, 4, 8, 16, 32

--- protobuf's default JSON name: lowerCamelCase of the IDL name.
local function default_json_name(name)
  return (name:gsub("_(.?)", function(c) return c:upper() end))
end
M.default_json_name = default_json_name

-- A name in a table row: bytes outside [A-Za-z0-9_.] are %XX escapes
-- (JSON names may hold anything).
local function row_name(s)
  return (s:gsub("[^%w_.]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- One field of the table string: "number attr kind flags type oneof json name",
-- "-" for an absent entry, trailing absent entries left out (docs/codec.md).
local function field_row(field, f, oneof_index)
  local kind = f.map and "map" or f.kind
  local flags = 0
  if f.repeated and not f.map then flags = flags + F_REPEATED end
  if f.packed and f.repeated and not f.map then flags = flags + F_PACKED end
  if f.presence then flags = flags + F_PRESENCE end
  if f.required then flags = flags + F_REQUIRED end
  local utf8 = field.utf8_validation
    or (field.map and (field.map.key.utf8_validation or field.map.value.utf8_validation))
  if utf8 then flags = flags + F_UTF8 end
  if f.delimited and kind ~= "group" then flags = flags + F_DELIMITED end
  local type_
  if f.map then
    local k, v = field.map.key, field.map.value
    type_ = string.format("%d,%d,%s", kind_number[k.wire_type], kind_number[v.wire_type],
      v.type_ref and v.type_ref.full_name or "-")
  elseif field.type_ref then
    type_ = field.type_ref.full_name
  end
  local row = {
    tostring(f.number), f.attr, tostring(kind_number[kind]), tostring(flags), type_ or "-",
    oneof_index and tostring(oneof_index) or "-",
    field.json_name ~= default_json_name(field.name) and row_name(field.json_name) or "-",
    field.name ~= f.attr and field.name or "-",
  }
  local n = #row
  while n > 4 and row[n] == "-" do n = n - 1 end
  if n == 4 and row[4] == "0" then n = 3 end
  return table.concat(row, " ", 1, n)
end

local function write_registrations(w, mod)
  for _, enum in ipairs(mod.enums) do
    local q = mod.names:enum_qualname(enum)
    if enum_renamed(mod, enum) then
      -- IDL names for JSON, where a member's Python name is not its IDL name
      local items = {}
      for _, v in ipairs(enum.values) do items[#items + 1] = string.format("%s: %d", py_string(v.name), v.number) end
      write_call(w, "_ms.register_enum", { q, py_string(enum.full_name), enum.closed and "True" or "False",
        "{" .. table.concat(items, ", ") .. "}" })
    else
      write_call(w, "_ms.register_enum", { q, py_string(enum.full_name), enum.closed and "True" or "False" })
    end
  end
  for _, plan in ipairs(mod.plans) do
    local message = plan.message
    local oneof_index, oneof_names = {}, {}
    for _, o in ipairs(message.oneofs) do
      if not o.synthetic then
        oneof_names[#oneof_names + 1] = py_string(o.name)
        oneof_index[o] = #oneof_names - 1
      end
    end
    local rows, defaults = {}, {}
    for i, field in ipairs(message.fields) do
      local f = plan.fields[i]
      rows[i] = field_row(field, f, field.oneof and oneof_index[field.oneof])
      if f.default ~= "None" then defaults[#defaults + 1] = string.format("%d: %s", f.number, f.default) end
    end
    local args = { plan.qualname, py_string(message.full_name), { text = table.concat(rows, "|"), sep = "|" } }
    if #oneof_names > 0 then
      args[#args + 1] = "(" .. table.concat(oneof_names, ", ") .. (#oneof_names == 1 and ",)" or ")")
    end
    if #defaults > 0 then args[#args + 1] = "defaults={" .. table.concat(defaults, ", ") .. "}" end
    write_call(w, "_ms.register", args)
  end
end

-- ---- file descriptors (server reflection) ----------------------------------

-- The literal split into pieces of at most `width` columns, never inside an
-- escape (in C: moonstub.native, core/lua_native.c).
local py_bytes_pieces = require("moonstub.native").py_bytes_pieces

--- One _ms.register_file call per .proto file of the module: the file's
--- serialized FileDescriptorProto (file.descriptor, the bytes protoc writes for
--- it) and the files it imports, for moonstub.reflection. The modules of those
--- files are imported too, as protoc's _pb2 modules import theirs: a file
--- imported only for its options (google/api/annotations.proto) has no type
--- this module would name, and would otherwise never register. Runs before the
--- import lines are assembled (it adds to mod.imports).
local function write_file_registrations(w, mod)
  for _, file in ipairs(mod.files) do
    local descriptor = file.descriptor
    if descriptor then
      mod.registers_files = true
      local deps = {}
      for _, imp in ipairs(file.imports) do
        if not imp.option then
          deps[#deps + 1] = py_string(imp.path)
          local other = imp.file and mod.names.module_of[imp.file]
          if other and other ~= mod.name and not mod.imports[other] then
            mod.imports[other] = true
            mod.side_effect_imports[other] = true
          end
        end
      end
      local tuple = #deps == 1 and "(" .. deps[1] .. ",)" or "(" .. table.concat(deps, ", ") .. ")"
      w:line("_ms.register_file(")
      w:indent()
      w:line("%s,", py_string(file.path))
      local pieces = py_bytes_pieces(descriptor, LINE_LIMIT - 8)
      for i, piece in ipairs(pieces) do w:line("%s%s", piece, i == #pieces and "," or "") end
      if #tuple + 1 + w:indent_width() <= LINE_LIMIT then
        w:line("%s,", tuple)
      else
        w:line("(")
        for _, dep in ipairs(deps) do w:line("    %s,", dep) end
        w:line("),")
      end
      w:dedent()
      w:line(")")
    end
  end
end

local function collect(mod, message)
  if message.is_map_entry then return end
  mod.messages[#mod.messages + 1] = message
  for _, e in ipairs(message.enums) do mod.enums[#mod.enums + 1] = e end
  for _, m in ipairs(message.messages) do collect(mod, m) end
end

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
  for _, file in ipairs(mod.files) do
    for _, e in ipairs(file.enums) do mod.enums[#mod.enums + 1] = e end
    for _, m in ipairs(file.messages) do collect(mod, m) end
  end
  -- the classes at module level: top-level types, and nested ones the rules flatten
  local names = mod.names
  local top_messages, top = {}, {}
  for _, m in ipairs(mod.messages) do
    if not m.parent or names:flattened(m) then top_messages[#top_messages + 1] = m end
  end
  for _, m in ipairs(top_messages) do top[#top + 1] = m end
  local top_enums = {}
  for _, e in ipairs(mod.enums) do
    if not e.parent or names:flattened(e) then
      top_enums[#top_enums + 1] = e
      top[#top + 1] = e
    end
  end
  check_class_names(ctx, mod, mod.name, top)
  for _, m in ipairs(top_messages) do
    if not names:flattened(m) then check_scopes(ctx, mod, m) end
  end
  mod.plans = {}
  mod.service_classes = {}
  mod.deprecation_warnings = ctx.rules.deprecation_warnings == true
  local body = Writer.new()
  for _, enum in ipairs(top_enums) do write_enum(body, mod, enum) end
  for _, message in ipairs(top_messages) do
    body:blank(2)
    write_class(ctx, body, mod, message)
  end
  local tables = Writer.new()
  write_registrations(tables, mod)
  if ctx.options.opt.pydantic_dataclasses == "true" and #mod.plans > 0 then
    -- construction-time validation, as aristaproto's pydantic_dataclasses option gives
    mod.imports_pydantic = true
    local classes = {}
    for i, plan in ipairs(mod.plans) do classes[i] = plan.qualname end
    write_call(tables, "_ms_pydantic.validated", classes)
  end
  if ctx.options.opt.descriptors ~= "false" then write_file_registrations(tables, mod) end
  if ctx.options.opt.google_protobuf_descriptors == "true" and mod.registers_files then
    -- aristaproto's option: classes get google.protobuf descriptors (DESCRIPTOR)
    local args = { "__name__" }
    for _, file in ipairs(mod.files) do
      if file.descriptor then args[#args + 1] = py_string(file.path) end
    end
    write_call(tables, "_ms.attach_protobuf_descriptors", args)
  end

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
        for _, c in ipairs(settings.clients) do
          made[#made + 1] = services_mod.client_name(ctx.rules, svc.service, c)
        end
        if settings.server then made[#made + 1] = ctx.rules.service_base(svc.service) end
        for _, name in ipairs(made) do mod.service_classes[#mod.service_classes + 1] = name end
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
  text.module_docstring(w, sources)
  w:blank()
  w:line("from __future__ import annotations")
  w:blank()
  local has_asyncio = false
  for _, l in ipairs(service_imports) do has_asyncio = has_asyncio or l == "import asyncio" end
  if has_asyncio then w:line("import asyncio") end
  if #mod.enums > 0 then w:line("import enum") end
  if service_text then w:line("import typing") end
  if has_asyncio or #mod.enums > 0 or service_text then w:blank() end
  for _, l in ipairs(service_imports) do
    if l ~= "import asyncio" and l ~= "" then w:line(l) end
  end
  if #service_imports > 0 then w:blank() end
  for _, line in ipairs(ctx.import_lines(mod, "_moonstub", "_ms")) do text.write_import(w, line) end
  if mod.imports_pydantic then
    for _, line in ipairs(ctx.import_lines(mod, "_moonstub_pydantic", "_ms_pydantic")) do text.write_import(w, line) end
  end
  for _, line in ipairs(service_support) do text.write_import(w, line) end
  local others = {}
  for other in pairs(mod.imports) do others[#others + 1] = other end
  table.sort(others)
  for _, other in ipairs(others) do
    -- an import only for its descriptors' registration says so to linters
    local note = mod.side_effect_imports[other] and "  # noqa: F401  (registers its descriptors)" or ""
    for _, line in ipairs(ctx.import_lines(mod, other, mod.names:import_alias(other))) do
      text.write_import(w, line .. note)
    end
  end
  w:line("# @@protoc_insertion_point(imports)")
  w:blank()
  w:line("%s", ctx.version_check)
  if ctx.rules.module_all == true then
    -- the module's public classes (as aristaproto lists them)
    local public = {}
    for _, node in ipairs(top) do
      public[#public + 1] = node.kind == "enum" and names:enum_qualname(node) or names:message_qualname(node)
    end
    for _, name in ipairs(mod.service_classes) do public[#public + 1] = name end
    table.sort(public)
    w:blank()
    if #public == 0 then
      w:line("__all__: tuple[str, ...] = ()")
    else
      w:line("__all__ = (")
      for _, name in ipairs(public) do w:line("    %s,", py_string(name)) end
      w:line(")")
    end
  end
  local out = w:text() .. "\n\n" .. body:text() .. "\n\n" .. tables:text()
  if service_text then out = out .. "\n\n" .. service_text end
  return out .. "\n\n# @@protoc_insertion_point(module_scope)\n"
end

M.new_module = new_module

return M
