-- The aristaproto (betterproto) layout: one Python package per protobuf
-- package (a.b -> a/b/__init__.py, parents get __init__.py), modules import
-- each other relatively, and names derived as aristaproto 2.0.0.dev1 derives
-- them (its casing rules, written here with LPeg):
--
--   classes   PascalCase word by word, each word capitalised: HTTPServer ->
--             HttpServer, Nested.RequestMessage -> NestedRequestMessage
--             (nested types are flattened where the emitter hoists them)
--   fields,   snake_case with digits split off: DoThing2 -> do_thing_2,
--   methods   GetUInt64 -> get_u_int_64; a name that already has an
--             underscore or no capital letter is kept as written
local lpeg = require("lpeg")
local words = require("rules.words")
local python = require("rules.python")
local default = require("rules.default")

local R, B, C, Cs, Ct = lpeg.R, lpeg.B, lpeg.C, lpeg.Cs, lpeg.Ct

-- Each run gets its own instance (new()): the hooks call each other through
-- the rules in effect, which bind() sets on that instance only, so two rule
-- sets can live in one Lua state. The module itself is one such instance.
local function new()
  local M = {}

  -- hooks call each other through R_, the rules in effect (see rules.default)
  local R_ = M

  function M.bind(effective)
    R_ = effective
  end

  M.import_style = "relative"
  -- clients and server bases go into the package module itself, so that
  -- `from lib.example import MyServiceStub, Request` works
  M.services_in_package_module = true
  -- what the emitters do differently under these rules (read by them as values)
  M.module_all = true        -- modules list their public names in __all__
  M.join_comments = true     -- docstrings: detached, leading and trailing comments joined
  M.flatten_nested = true    -- nested messages and enums as top-level classes Outer+Inner
  M.optional_empty_request = true -- clients: an empty request type may be left out
  M.deprecation_warnings = true   -- clients warn when a deprecated rpc is called

  function M.escape(name, taken) return default.escape(name, taken) end

  -- ---- casing ------------------------------------------------------------------------

  local upper, lower, digit = R("AZ"), R("az"), R("09")
  local alnum = upper + lower + digit

  -- snake_case: "_" goes before a capital that follows a lower-case letter or a
  -- digit, before a capital that follows a capital and precedes a lower-case
  -- letter (the end of an acronym), and before a digit that follows a letter.
  local boundary = B(lower + digit) * #upper + B(upper) * #(upper * lower) + B(upper + lower) * #digit
  local snake_marks = Cs(((boundary * 1) / "_%0" + 1) ^ 0)

  --- aristaproto's snake_case: DoThing2 -> do_thing_2, GetUInt64 -> get_u_int_64,
  --- HTTPServer -> http_server; names with "_" or without capitals are kept.
  function M.snake(name)
    if name:find("_", 1, true) or not name:find("%u") then return name end
    return snake_marks:match(name):lower()
  end

  -- PascalCase: the name's words (non-alphanumerics only separate them), each
  -- capitalised (first letter upper, the rest lower). A word is a run of
  -- capitals not followed by a lower-case letter (HTTP in HTTPServer, the last
  -- capital left for the next word), or capitals-lower-case, each with the
  -- digits after it.
  local word_upper = (upper ^ 1 * -lower + (upper * #upper) ^ 1) * digit ^ 0
  local word = upper ^ 1 * lower ^ 0 * digit ^ 0 + lower ^ 1 * digit ^ 0 + digit ^ 1
  local pascal_words = Ct((C(word_upper + word) + (1 - alnum) ^ 1) ^ 0) * -1

  --- aristaproto's PascalCase: HTTPServer -> HttpServer, my_type -> MyType,
  --- Nested.RequestMessage -> NestedRequestMessage.
  function M.pascal(name)
    local parts = pascal_words:match(name) or { name }
    for i, w in ipairs(parts) do parts[i] = w:sub(1, 1):upper() .. w:sub(2):lower() end
    return table.concat(parts)
  end

  -- ---- modules ------------------------------------------------------------------------

  function M.module(file)
    local pkg = file.package
    if not pkg or pkg == "" then return "generated" end
    local parts = {}
    for part in pkg:gmatch("[^.]+") do parts[#parts + 1] = R_.escape(words.snake(part)) end
    return table.concat(parts, ".")
  end

  function M.module_path(file)
    return R_.module(file):gsub("%.", "/") .. "/__init__.py"
  end

  function M.grpc_module(file)
    return R_.module(file) .. "._grpc"
  end

  function M.grpc_module_path(file)
    return R_.grpc_module(file):gsub("%.", "/") .. ".py"
  end

  -- ---- names ----------------------------------------------------------------------------

  -- A class name; a name without letters or digits ("_") keeps its own
  -- spelling, escaped, rather than becoming empty.
  local function class_name(name)
    local pascal = M.pascal(name)
    if pascal == "" then return R_.escape(name) end
    return R_.escape(pascal)
  end

  -- a name that is not a Python identifier gets a leading underscore, as aristaproto's
  local function identifier(name)
    if not name:match("^[%a_][%w_]*$") then return "_" .. name end
    return name
  end

  function M.message(message) return class_name(message.name) end
  function M.enum(enum) return class_name(enum.name) end
  function M.enum_value(value)
    local name = R_.escape(value.name)
    if python.is_enum_reserved(name) then name = name .. "_" end
    return name
  end
  function M.field(field) return R_.escape(identifier(M.snake(field.name))) end
  function M.service_stub(service) return class_name(service.name) .. "Stub" end
  function M.service_servicer(service) return class_name(service.name) .. "Servicer" end
  function M.service_base(service) return class_name(service.name) .. "Base" end
  function M.method(method) return R_.escape(identifier(M.snake(method.name))) end

  M.new = new
  return M
end

return new()
