-- Python output: one module per package, the support module beside them.
local messages = require("emitters.python.messages")
local grpc = require("emitters.python.grpc")
local names_mod = require("emitters.python.names")
local fory = require("emitters.python.fory")
local pack = require("emitters.pack")

local M = {}

local SUPPORT = "_moonstub"

-- The well-known types moonstub carries (core/include); with the installed
-- runtime their classes are the package's, moonstub.wkt, so a Timestamp is one
-- class whatever tree it came through.
local WKT_MODULE = "moonstub.wkt"

-- The existing Python module that holds `file`'s classes, if any: an option
-- M<file path>=module or M<package>=module, or the runtime package's
-- well-known types for one imported (not generated) under runtime=package.
local function mapped_module(ctx, file)
  local opt = ctx.options.opt
  local chosen = opt["M" .. file.path] or (file.package and opt["M" .. file.package])
  if chosen then return chosen end
  -- file.builtin: one of the files the binary carries (core/include), exactly moonstub.wkt's;
  -- its classes use the protobuf codec, so Fory-codec output generates its own
  if ctx.runtime == "package" and not file.is_target and file.builtin and file.package == "google.protobuf"
      and ctx.options.opt.codec ~= "fory" then
    return WKT_MODULE
  end
  return nil
end

-- The import lines that bring `module_name` into `mod` as `alias`: absolute
-- imports for flat layouts, relative ones for package layouts. The runtime
-- ("_moonstub") is the installed package `moonstub.runtime` unless it is
-- vendored into the output (--opt runtime=vendored).
-- The support modules the generated code imports, and the module of the
-- runtime package each one is: under runtime=package they come from the
-- installed package (one copy, whatever trees share a sys.path), vendored
-- they are written beside the output under the first name.
local PACKAGED = {
  [SUPPORT] = "runtime",
  _moonstub_grpc = "grpc_support",
  _moonstub_grpclib = "grpclib_support",
  _moonstub_pydantic = "pydantic_support",
}

local function import_lines_for(style, runtime, external)
  return function(mod, module_name, alias)
    if runtime == "package" and PACKAGED[module_name] then
      return { string.format("from moonstub import %s as %s", PACKAGED[module_name], alias) }
    end
    if external[module_name] then
      local parent, leaf = module_name:match("^(.*)%.([^.]+)$")
      if parent then return { string.format("from %s import %s as %s", parent, leaf, alias) } end
      return { string.format("import %s as %s", module_name, alias) }
    end
    if style ~= "relative" then
      return { string.format("import %s as %s", module_name, alias) }
    end
    local depth = select(2, mod.name:gsub("%.", "")) + 1
    if not mod.path:match("__init__%.py$") then depth = depth - 1 end
    local dots = string.rep(".", depth + 1)
    local parent, leaf = module_name:match("^(.*)%.([^.]+)$")
    if parent then return { string.format("from %s%s import %s as %s", dots, parent, leaf, alias) } end
    return { string.format("from %s import %s as %s", dots, module_name, alias) }
  end
end

-- The full names of the messages (nested ones too), enums and services that
-- the files of `mod` hold: what ctx.outputs says of its module.
local function contents(mod, with_services)
  local held, enums, services = {}, {}, {}
  local function walk(message)
    if message.is_map_entry then return end
    held[#held + 1] = message.full_name
    for _, e in ipairs(message.enums) do enums[#enums + 1] = e.full_name end
    for _, m in ipairs(message.messages) do walk(m) end
  end
  for _, file in ipairs(mod.files) do
    for _, m in ipairs(file.messages) do walk(m) end
    for _, e in ipairs(file.enums) do enums[#enums + 1] = e.full_name end
    if with_services and file.is_target then
      for _, service in ipairs(file.services) do services[#services + 1] = service.full_name end
    end
  end
  return held, enums, services
end

-- A support file (the runtime or transport helpers), recorded in ctx.outputs.
local function write_support(ctx, path, text)
  ctx.host.write(path, text)
  ctx:record_output({ path = path, kind = "support" })
end

-- A support module of the runtime package (grpc_support, ...) written beside
-- the output as `module`.py, unless the output imports the installed package.
local function write_packaged_support(ctx, module)
  if ctx.runtime == "package" then return end
  write_support(ctx, module .. ".py", ctx.host.builtin_source("emitters/python/moonstub/" .. PACKAGED[module] .. ".py"))
end

-- A module of the runtime package (moonstub/<name>.py) written beside the
-- vendored runtime as _moonstub_<name>.py, its import of moonstub.runtime
-- turned into an import of the vendored copy.
local function write_vendored_companion(ctx, name)
  local module = SUPPORT .. "_" .. name
  local source = ctx.host.builtin_source("emitters/python/moonstub/" .. name .. ".py")
  local import = table.concat(ctx.import_lines({ name = module, path = module .. ".py" }, SUPPORT, "_rt"), "\n")
  local replaced
  source, replaced = source:gsub("\nfrom moonstub import runtime as _rt\n",
    function() return "\n" .. import .. "\n" end)
  assert(replaced == 1, name .. ".py: the runtime import line moved")
  write_support(ctx, module .. ".py", source)
end

function M.emit(ctx)
  local rules, host = ctx.rules, ctx.host
  local names = names_mod.new(rules)
  -- the message emitter writes nested types at module level where the rules flatten them
  names.hoist_nested = rules.flatten_nested == true
  local modules, order = {}, {}
  ctx.runtime = ctx.options.opt.runtime or "package"
  local external = {}
  for _, file in ipairs(ctx.schema.files) do
    local name = mapped_module(ctx, file)
    if name then
      names.module_of[file] = name
      external[name] = true
      goto next_file
    end
    name = rules.module(file)
    names.module_of[file] = name
    local mod = modules[name]
    if not mod then
      mod = messages.new_module(name, rules.module_path(file), names)
      modules[name] = mod
      order[#order + 1] = mod
    end
    -- foryc writes one module per Fory IDL or FlatBuffers file: two of them
    -- writing one module would overwrite each other there; here it is an error
    if file.source ~= "proto" and file.is_target then
      local other = mod.idl_target
      if other then
        host.report("error", string.format("%s and %s would both write the module %s (%s); give one of them "
          .. "another package", other.path, file.path, name, mod.path), file.loc)
      end
      mod.idl_target = file
    end
    mod.files[#mod.files + 1] = file
    ::next_file::
  end
  for _, mod in ipairs(order) do mod.fory = fory.module_uses_fory(ctx, mod) end
  names.fory_module = {}
  for _, mod in ipairs(order) do names.fory_module[mod.name] = mod.fory end
  -- imports between generated modules: the rules' style (flat: absolute, package
  -- folders: relative) unless --opt imports=... says otherwise
  ctx.import_lines = import_lines_for(ctx.options.opt.imports or rules.import_style, ctx.runtime, external)
  -- every generated module checks that its runtime can run it
  ctx.version_check = string.format('_ms.check_version(__name__, "%s")', host.version)
  if rules.services_in_package_module then
    ctx.service_settings = require("emitters.python.services").settings(ctx.options,
      require("emitters.python.services").ARISTAPROTO_DEFAULTS)
  end
  -- the modules, shared among worker processes (host.parallel) by weight
  local costs = {}
  for i, mod in ipairs(order) do
    local cost = 1
    for _, file in ipairs(mod.files) do cost = cost + file.declarations end
    costs[i] = cost
  end
  local results = host.parallel(costs, function(i) return pack.encode(M.emit_module(ctx, order[i])) end)
  local written = {}
  for i, mod in ipairs(order) do
    local done = pack.decode(results[i])
    mod.registers_files = done.registers_files
    mod.needs_grpc_support = done.needs_grpc_support
    mod.grpc_companion = done.grpc
    written[mod.path] = true
    ctx:record_output({ path = mod.path, kind = "messages", module = mod.name, messages = done.messages,
      enums = done.enums, services = done.services })
  end
  -- package layouts: every parent folder is a package
  if rules.import_style == "relative" then
    for _, mod in ipairs(order) do
      local dir = mod.path:match("^(.*)/[^/]+$")
      while dir do
        local init = dir .. "/__init__.py"
        if not written[init] then
          host.write(init, "")
          written[init] = true
          ctx:record_output({ path = init, kind = "package" })
        end
        dir = dir:match("^(.*)/[^/]+$")
      end
    end
  end
  if ctx.runtime == "vendored" then
    write_support(ctx, SUPPORT .. ".py", host.builtin_source("emitters/python/moonstub/runtime.py"))
  end
  local registers_files, protobuf_codec = false, false
  for _, mod in ipairs(order) do
    registers_files = registers_files or mod.registers_files
    protobuf_codec = protobuf_codec or not mod.fory
  end
  if ctx.runtime == "vendored" then
    -- server reflection beside it, reading the vendored runtime's registry
    if registers_files then write_vendored_companion(ctx, "reflection") end
    -- the text format, which the vendored runtime imports on first use
    if protobuf_codec then write_vendored_companion(ctx, "text_format") end
  end
  local support_written = false
  for _, mod in ipairs(order) do
    if mod.needs_grpc_support and not support_written then
      M.write_transport_support(ctx, ctx.service_settings)
      support_written = true
    end
  end
  if ctx.options.opt.pydantic_dataclasses == "true" then
    write_packaged_support(ctx, "_moonstub_pydantic")
  end
  if ctx.options.grpc then M.emit_grpc(ctx, order, written) end
end

--- The transport support modules the shaped clients and bases import.
function M.write_transport_support(ctx, settings)
  local _, _, need = require("emitters.python.services").imports(settings, function() return {} end)
  if need.grpc then
    write_packaged_support(ctx, "_moonstub_grpc")
  end
  if need.grpclib then
    write_packaged_support(ctx, "_moonstub_grpclib")
  end
  ctx.transport_support_written = true
end

-- The services of the target files of `mod`: what its gRPC companion serves.
local function served(mod)
  local services = {}
  for _, file in ipairs(mod.files) do
    if file.is_target then
      for _, service in ipairs(file.services) do services[#services + 1] = service end
    end
  end
  return services
end

--- Everything one module makes, in a worker process or in this one: its
--- messages module (written) and its gRPC companion (returned, written by
--- emit_grpc in the modules' order); what the rest of the run needs to know
--- of it is returned, as plain values. The work happens on a copy of the
--- module, dropped when done.
function M.emit_module(ctx, mod)
  local work = messages.new_module(mod.name, mod.path, mod.names)
  work.files, work.fory, work.idl_target = mod.files, mod.fory, mod.idl_target
  ctx.host.write(mod.path, work.fory and fory.module_text(ctx, work) or messages.module_text(ctx, work))
  local m, e, s = contents(work, work.needs_grpc_support)
  local done = { messages = m, enums = e, services = s, registers_files = work.registers_files == true,
    needs_grpc_support = work.needs_grpc_support == true }
  local services = ctx.options.grpc and served(mod) or {}
  if #services > 0 then
    local file = mod.files[1]
    local companion = messages.new_module(ctx.rules.grpc_module(file), ctx.rules.grpc_module_path(file), mod.names)
    companion.files = mod.files
    companion.fory = mod.fory
    local names = {}
    for i, service in ipairs(services) do names[i] = service.full_name end
    done.grpc = { name = companion.name, path = companion.path, services = names,
      text = grpc.module_text(ctx, companion, services) }
  end
  -- its model is converted again if a later module reads it
  for _, file in ipairs(mod.files) do ctx.host.release(file) end
  return done
end

--- gRPC companions for the modules whose target files define services.
function M.emit_grpc(ctx, modules, written)
  local host = ctx.host
  local any = false
  for _, mod in ipairs(modules) do
    local companion = mod.grpc_companion
    if companion then
      any = true
      if written[companion.path] then
        host.report("error", string.format("the gRPC companion of %s would overwrite %s", mod.name, companion.path))
      else
        host.write(companion.path, companion.text)
        written[companion.path] = true
        ctx:record_output({ path = companion.path, kind = "grpc", module = companion.name,
          services = companion.services })
      end
    end
  end
  if not any or ctx.transport_support_written then return end
  -- the companions always use grpcio; aristaproto's options may add grpclib
  local services = require("emitters.python.services")
  local settings = services.settings(ctx.options, { client_generation = "none" })
  local _, _, need = services.imports(settings, function() return {} end)
  write_packaged_support(ctx, "_moonstub_grpc")
  if need.grpclib then write_packaged_support(ctx, "_moonstub_grpclib") end
end

return M
