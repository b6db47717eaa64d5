-- The default naming policy (Fory's conventions): one module per package,
-- dots turned into underscores (demo.greeter -> demo_greeter.py, no package
-- -> generated.py), IDL type and field names kept as written, snake_case
-- methods, a trailing underscore on Python keywords and on names a module
-- defines. Generated modules import each other with absolute imports (the
-- output folder is on sys.path, as in Fory's examples).
local lpeg = require("lpeg")
local words = require("rules.words")
local python = require("rules.python")

-- Each run gets its own instance (new()): the hooks call each other through
-- the rules in effect, which bind() sets on that instance only, so two rule
-- sets can live in one Lua state. The module itself is one such instance.
local function new()
  local M = {}

  -- Hooks call each other through R, the rules in effect: a policy that
  -- overrides `module` also changes `grpc_module` and `module_path`.
  local R = M

  --- Called by the driver with the effective rules (a policy over these).
  function M.bind(effective)
    R = effective
  end

  M.import_style = "absolute"

  --- Escapes a Python name: keywords, soft keywords and names in `taken`
  --- (what the generated module itself defines) get a trailing underscore.
  function M.escape(name, taken)
    if name:match("^__") and not name:match("__$") then
      -- Python would mangle "__x" inside a class body: one leading underscore
      -- goes, and the escape suffix marks the change
      return name:sub(2) .. "_"
    end
    if python.is_reserved(name) or python.is_dunder(name) or (taken and taken[name]) then
      return name .. "_"
    end
    return name
  end

  --- file -> dotted module path ("demo_greeter")
  function M.module(file)
    local pkg = file.package
    if not pkg or pkg == "" then return "generated" end
    return (pkg:gsub("%.", "_"))
  end

  --- file -> path of the module's source file, relative to the output folder
  function M.module_path(file)
    return R.module(file):gsub("%.", "/") .. ".py"
  end

  --- file -> module of its gRPC companion ("demo_greeter_grpc")
  function M.grpc_module(file)
    return R.module(file) .. "_grpc"
  end

  function M.grpc_module_path(file)
    return R.grpc_module(file):gsub("%.", "/") .. ".py"
  end

  function M.message(message) return R.escape(message.name) end
  function M.enum(enum) return R.escape(enum.name) end
  -- Fory IDL and FlatBuffers follow foryc: enum values lose their enum's
  -- prefix (COLOR_RED -> RED, unless the rest would not be a name) and field
  -- names are snake_case (userName -> user_name). .proto names stay as written.
  local function strip_enum_prefix(value)
    local prefix = words.screaming_snake(value.parent.name) .. "_"
    local name = value.name
    if name:sub(1, #prefix) == prefix and name:sub(#prefix + 1):match("^%a") then return name:sub(#prefix + 1) end
    return name
  end

  local function from_idl(node)
    return node.file ~= nil and node.file.source ~= "proto"
  end

  -- enum members: Python's enum module reserves _sunder_ names and `name`/`value`
  local function enum_member(name)
    if python.is_enum_reserved(name) then return name .. "_" end
    return name
  end

  function M.enum_value(value)
    local enum = value.parent
    if enum and enum.file and enum.file.source ~= "proto" then
      return enum_member(R.escape(strip_enum_prefix(value)))
    end
    return enum_member(R.escape(value.name))
  end

  -- foryc's snake_case (its generators' to_snake_case): a capital letter is
  -- lowered, with an underscore before it when it follows a lower-case letter
  -- or starts a word ("userName" -> "user_name", "HTTPStatus" -> "http_status");
  -- everything else, underscores included, stays as written ("field__").
  local lower, upper = lpeg.R("az"), lpeg.R("AZ")
  local starts_word = (lpeg.B(lower) * upper + upper * #lower) / function(c) return "_" .. c:lower() end
  local fory_snake_pattern = lpeg.Cs((upper / string.lower) ^ -1 * (starts_word + upper / string.lower + 1) ^ 0)

  function M.fory_snake(name)
    return fory_snake_pattern:match(name)
  end

  --- Escapes a whole family of names: when `name` without its trailing
  --- underscores is a Python keyword (or in `taken`), one more underscore is
  --- added, so field, field_ and field__ become field_, field__ and field___
  --- (as foryc does for its helper names). Unlike a plain suffix this never
  --- makes two names one. Soft keywords (type, match) are attribute names
  --- Python accepts, and foryc keeps them.
  function M.escape_family(name, taken)
    local base = name:match("^(.-)_*$")
    if base == "" then return name end
    if python.keywords[base] or (taken and taken[base]) then return name .. "_" end
    return name
  end

  --- A field's Python attribute with the Fory codec, for every source (foryc
  --- snake-cases .proto field names too).
  function M.fory_field(field)
    return R.escape_family(R.fory_snake(field.name))
  end

  function M.field(field)
    if from_idl(field) then return R.fory_field(field) end
    return R.escape(field.name)
  end
  function M.service_stub(service) return service.name .. "Stub" end
  function M.service_servicer(service) return service.name .. "Servicer" end
  function M.service_base(service) return service.name .. "Base" end
  function M.method(method) return R.escape(words.snake(method.name)) end

  M.new = new
  return M
end

return new()
