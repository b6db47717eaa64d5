-- The aristaproto (betterproto) layout: one Python package per protobuf
-- package (a.b -> a/b/__init__.py, parents get __init__.py), modules import
-- each other relatively, PascalCase class names, snake_case fields and methods.
local words = require("rules.words")
local python = require("rules.python")
local default = require("rules.default")

local M = {}

-- hooks call each other through R, the rules in effect (see rules.default)
local R = M

function M.bind(effective)
  R = effective
end

M.import_style = "relative"
-- clients and server bases go into the package module itself, so that
-- `from lib.example import MyServiceStub, Request` works
M.services_in_package_module = true
function M.escape(name, taken) return default.escape(name, taken) end

function M.module(file)
  local pkg = file.package
  if not pkg or pkg == "" then return "generated" end
  local parts = {}
  for part in pkg:gmatch("[^.]+") do parts[#parts + 1] = R.escape(words.snake(part)) end
  return table.concat(parts, ".")
end

function M.module_path(file)
  return R.module(file):gsub("%.", "/") .. "/__init__.py"
end

function M.grpc_module(file)
  return R.module(file) .. "._grpc"
end

function M.grpc_module_path(file)
  return R.grpc_module(file):gsub("%.", "/") .. ".py"
end

-- PascalCase of a type name; a name without letters or digits ("_") keeps
-- its own spelling, escaped, rather than becoming empty
local function class_name(name)
  local pascal = words.pascal(name)
  if pascal == "" then return R.escape(name) end
  return R.escape(pascal)
end

function M.message(message) return class_name(message.name) end
function M.enum(enum) return class_name(enum.name) end
function M.enum_value(value)
  local name = R.escape(value.name)
  if python.is_enum_reserved(name) then name = name .. "_" end
  return name
end
function M.field(field) return R.escape(words.snake(field.name)) end
M.service_stub = default.service_stub
M.service_servicer = default.service_servicer
M.service_base = default.service_base
function M.method(method) return R.escape(words.snake(method.name)) end

return M
