-- Python names for the model: modules, classes, fields, and how one module
-- refers to what another defines. Every name comes from the active rules.
local python = require("rules.python")

local M = {}

-- Names every generated message class inherits or defines; a field with one
-- of these names gets the escape suffix.
M.message_taken = {
  SerializeToString = true, FromString = true, parse = true, which_oneof = true,
  to_dict = true, from_dict = true, to_json = true, from_json = true, MergeFromString = true,
  _unknown = true, _ms_full_name = true, _ms_fields = true, _ms_oneofs = true,
  _ms_table = true, _ms_codec = true, _ms_oneof_names = true,
  -- the first parameter of every __init__
  self = true,
  -- well-known type helpers
  from_datetime = true, to_datetime = true, from_timedelta = true, to_timedelta = true,
  pack = true, unpack = true, is_ = true, from_python = true, to_python = true,
  from_nanoseconds = true, to_nanoseconds = true, now = true, type_name = true,
  from_paths = true, to_json_string = true,
  -- the message API (docs/python.md): presence, copies, text format, descriptors
  has_field = true, clear_field = true, clear = true, list_fields = true, copy_from = true, merge_from = true,
  byte_size = true, to_text = true, from_text = true, message_descriptor = true, file_descriptor = true,
  file_descriptor_set = true, _ms_text_flags = true,
}

-- Names a generated module defines or imports at top level besides its
-- classes: a top-level message or enum with one of these names gets the
-- escape suffix.
M.module_taken = {
  annotations = true, dataclasses = true, enum = true, typing = true, math = true, _ms = true,
  grpc = true,
}

-- What a Fory-codec module defines or imports besides its classes.
M.fory_taken = {
  annotations = true, field = true, Enum = true, IntEnum = true, Any = true, Dict = true, List = true,
  Optional = true, cast = true, datetime = true, decimal = true, pyfory = true, threading = true,
  Ref = true, Union = true, UnionSerializer = true, typing = true,
}

local Names = {}
Names.__index = Names

--- Builds the naming context for one run: `rules` is the active policy.
function M.new(rules)
  return setmetatable({ rules = rules, module_of = {}, qualified = {}, flat = {} }, Names)
end

function Names:module(file)
  return self.rules.module(file)
end

--- Whether nested messages and enums are top-level classes named after
--- their whole chain (Outer.Inner -> OuterInner): the rules ask for it
--- (`flatten_nested`) and the emitter writing the classes sets
--- `names.hoist_nested` when it writes nested types at module level.
function Names:flattened(node)
  return self.rules.flatten_nested == true and self.hoist_nested == true and not self:prebuilt(node)
end

-- The well-known types of the installed runtime (moonstub.wkt) were generated
-- once, with the default rules: their names are those, whatever rules this run
-- has (aristaproto's would spell FieldOptions.JSType as JsType).
local PREBUILT_MODULE = "moonstub.wkt"
local prebuilt_rules = require("rules.default")

function Names:prebuilt(node)
  return node ~= nil and node.file ~= nil and self.module_of[node.file] == PREBUILT_MODULE
end

local function own_name(rules, node)
  return node.kind == "enum" and rules.enum(node) or rules.message(node)
end

--- Message class name chain inside its module: "Outer.Inner".
--- The class name of a message or enum in its own scope.
function Names:class_name(node)
  local rules = self:prebuilt(node) and prebuilt_rules or self.rules
  local own = own_name(rules, node)
  local flat = self:flattened(node)
  if flat and node.parent then
    local parent = node.parent
    while parent do
      own = own_name(rules, parent) .. own
      parent = parent.parent
    end
  end
  -- nested classes too: inside a class body they would hide the module's
  -- imports (enum.IntEnum, dataclasses.field) from the lines after them
  local fory = self.fory_module and self.fory_module[self.module_of[node.file]]
  if M.module_taken[own] or (fory and M.fory_taken[own]) or python.builtins[own] or python.is_dunder(own)
    -- the module's private helpers (_varint, _e_Foo, ...) start with "_"
    or ((flat or not node.parent) and own:sub(1, 1) == "_") then
    own = own .. "_"
  end
  return own
end

function Names:message_qualname(message)
  local cached = self.qualified[message]
  if cached then return cached end
  local own = self:class_name(message)
  local nested = message.parent and not self:flattened(message)
  local q = nested and (self:message_qualname(message.parent) .. "." .. own) or own
  self.qualified[message] = q
  return q
end

function Names:enum_qualname(enum)
  local cached = self.qualified[enum]
  if cached then return cached end
  local own = self:class_name(enum)
  local q = (enum.parent and not self:flattened(enum)) and (self:message_qualname(enum.parent) .. "." .. own) or own
  self.qualified[enum] = q
  return q
end

--- The private alias of an imported module. Underscores are doubled before
--- dots become underscores, so two module names never share an alias
--- (`a_b.c` is `_i_a__b_c`, `a.b_c` is `_i_a_b__c`).
function Names:import_alias(module_name)
  return "_i_" .. module_name:gsub("_", "__"):gsub("%.", "_")
end

return M
