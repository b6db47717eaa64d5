-- gRPC companions: <module>_grpc.py beside each module whose files define
-- services. grpc.aio by default; `grpc_python_mode = "sync"` writes the same
-- public names for grpc.server(...) and plain def methods.
--
--   <Service>Stub(channel)   one snake_case attribute per RPC: the channel's
--                            multi-callable, typed for types-grpcio
--                            (grpc.UnaryUnaryMultiCallable[Req, Res], or
--                            grpc.aio's), as in grpcio-tools' stubs
--   <Service>Servicer        base class; unimplemented methods answer UNIMPLEMENTED
--   add_servicer(s, server)  registers every generated servicer type `s` is
--
-- Wire paths keep the IDL's names: /pkg.Service/Method.
local Writer = require("emitters.writer")
local services_mod = require("emitters.python.services")
local text = require("emitters.python.text")
local py_string, docstring, write_call = text.py_string, text.docstring, text.write_call
local write_expr = text.write_expr

local M = {}

local SHAPES = {
  [false] = { [false] = "unary_unary", [true] = "unary_stream" },
  [true] = { [false] = "stream_unary", [true] = "stream_stream" },
}

-- The module alias of a class reference "alias.Outer.Inner".
-- `    key=expr,` inside an open call; an expression too long for one line goes
-- in parentheses on a line of its own.
local function keyword_line(w, key, expr)
  if 4 + #key + 1 + #expr + 1 + w:indent_width() <= text.LINE_LIMIT then
    w:line("    %s=%s,", key, expr)
  elseif 8 + #expr + w:indent_width() <= text.LINE_LIMIT then
    w:line("    %s=(", key)
    w:line("        %s", expr)
    w:line("    ),")
  else
    w:indent()
    write_expr(w, key .. "=", expr, ",")
    w:dedent()
  end
end

-- `    expr,` (one item inside an open bracket), broken when too long.
local function item_line(w, expr)
  w:indent()
  write_expr(w, "", expr, ",", { inside = true })
  w:dedent()
end

local function module_of(ref)
  return ref:match("^([^.]+)%.") or ref
end

local function shape_of(method)
  return SHAPES[method.client_streaming][method.server_streaming]
end

-- Python method names of a service; two RPCs with one Python name are an
-- error naming both.
local function method_names(ctx, service, taken)
  local out, seen = {}, {}
  for i, method in ipairs(service.methods) do
    local name = ctx.rules.method(method)
    if taken[name] then name = name .. "_" end
    local other = seen[name]
    if other then
      ctx.host.report("error", string.format(
        "methods %q (line %d) and %q (line %d) of %s both become the Python method %q; rename one",
        other.name, other.loc.line, method.name, method.loc.line, service.full_name, name), method.loc)
    end
    seen[name] = method
    out[i] = name
  end
  return out
end

local STUB_TAKEN = { _channel = true }
local SERVICER_TAKEN = {}

-- ---- stubs ----------------------------------------------------------------------

-- grpcio's multi-callable types, which the stub attributes are (types-grpcio
-- types them by request and response class).
local MULTICALLABLES = {
  unary_unary = "UnaryUnaryMultiCallable", unary_stream = "UnaryStreamMultiCallable",
  stream_unary = "StreamUnaryMultiCallable", stream_stream = "StreamStreamMultiCallable",
}

-- Like grpcio-tools' stubs, a stub holds one grpcio multi-callable per RPC
-- (`stub.a(req)`, `stub.a.with_call(req)`, `stub.a.future(req)` on grpc.Channel;
-- calls of grpc.aio on grpc.aio.Channel): no wrapper runs per call.
local function write_stub(w, ctx, svc, aio)
  local rules = ctx.rules
  local methods = svc.service.methods
  w:line("class %s:", rules.service_stub(svc.service))
  w:indent()
  docstring(w, svc.service.comments, string.format("Client of %s.", svc.service.full_name))
  w:blank()
  if #methods == 0 then
    w:line("__slots__ = ()")
  else
    w:line("__slots__ = (")
    for i = 1, #methods do w:line("    %s,", py_string(svc.methods[i].attr)) end
    w:line(")")
  end
  for i, method in ipairs(methods) do
    local m = svc.methods[i]
    w:blank()
    local kind = (aio and "grpc.aio." or "grpc.") .. MULTICALLABLES[m.shape]
    local annotation = string.format("%s: %s[%s, %s]", m.attr, kind, m.input, m.output)
    if #annotation + 4 <= 110 then
      w:line("%s", annotation)
    elseif #m.attr + #kind + 7 > text.LINE_LIMIT then
      write_expr(w, m.attr .. ": ", string.format("%s[%s, %s]", kind, m.input, m.output), "")
    else
      w:line("%s: %s[", m.attr, kind)
      item_line(w, m.input)
      item_line(w, m.output)
      w:line("]")
    end
    docstring(w, method.comments, string.format("%s: /%s/%s.", m.shape:gsub("_", "-"), svc.service.full_name,
      method.name))
  end
  w:blank()
  w:line("def __init__(self, channel: %s) -> None:", aio and "grpc.aio.Channel" or "grpc.Channel")
  w:indent()
  for i, method in ipairs(methods) do
    local m = svc.methods[i]
    w:line("self.%s = channel.%s(", m.attr, m.shape)
    w:line('    "/%s/%s",', svc.service.full_name, method.name)
    if svc.fory then
      keyword_line(w, "request_serializer", string.format("_ms_grpc.fory_writer(%s._get_fory)", module_of(m.input)))
      keyword_line(w, "response_deserializer",
        string.format("_ms_grpc.fory_reader(%s._get_fory, %s)", module_of(m.output), m.output))
    else
      w:line("    request_serializer=_serialize,")
      keyword_line(w, "response_deserializer", m.output .. ".FromString")
    end
    w:line("    **_REGISTERED,")
    w:line(")")
  end
  if #methods == 0 then w:line("del channel") end
  w:dedent()
  w:dedent()
  w:blank(2)
end

-- ---- servicers ----------------------------------------------------------------------

local function write_servicer(w, ctx, svc, aio)
  w:line("class %s:", ctx.rules.service_servicer(svc.service))
  w:indent()
  docstring(w, svc.service.comments, string.format("Server side of %s: subclass it and override the methods.",
    svc.service.full_name))
  for i, method in ipairs(svc.service.methods) do
    local m = svc.methods[i]
    w:blank()
    local req_name = method.client_streaming and "request_iterator" or "request"
    local req_type = method.client_streaming
      and (aio and string.format("typing.AsyncIterator[%s]", m.input) or string.format("typing.Iterator[%s]", m.input))
      or m.input
    local result = method.server_streaming
      and string.format(aio and "typing.AsyncIterator[%s]" or "typing.Iterator[%s]", m.output)
      or m.output
    w:line("%sdef %s(", aio and "async " or "", m.name)
    w:line("    self,")
    w:indent()
    write_expr(w, req_name .. ": ", req_type, ",")
    w:dedent()
    local context = aio and string.format("grpc.aio.ServicerContext[%s, %s]", m.input, m.output)
      or "grpc.ServicerContext"
    if #context + 14 + w:indent_width() <= text.LINE_LIMIT then
      w:line("    context: %s,", context)
    else
      w:line("    context: grpc.aio.ServicerContext[")
      w:indent()
      item_line(w, m.input)
      item_line(w, m.output)
      w:dedent()
      w:line("    ],")
    end
    write_expr(w, ") -> ", result, ":")
    w:indent()
    docstring(w, method.comments, nil)
    local message = string.format("Method /%s/%s is not implemented", svc.service.full_name, method.name)
    write_call(w, (aio and "await " or "") .. "context.abort", { "grpc.StatusCode.UNIMPLEMENTED", { text = message } })
    if method.server_streaming then
      -- a generator, as the override will be
      w:line("return")
      w:line("yield")
    else
      write_call(w, "raise NotImplementedError", { { text = message } })
    end
    w:dedent()
  end
  w:dedent()
  w:blank(2)
end

-- Handler factories: requests are decoded by moonstub, so that a payload that
-- cannot be decoded is answered INVALID_ARGUMENT rather than INTERNAL.
local function write_handlers(w, ctx, svc, aio)
  local servicer = ctx.rules.service_servicer(svc.service)
  local returns = "dict[str, grpc.RpcMethodHandler[typing.Any, typing.Any]]"
  local head = string.format("def _handlers_%s(servicer: %s) -> %s:", svc.flat, servicer, returns)
  if #head <= text.LINE_LIMIT then
    w:line("%s", head)
  else
    w:line("def _handlers_%s(", svc.flat)
    w:line("    servicer: %s,", servicer)
    w:line(") -> %s:", returns)
  end
  w:indent()
  for i in ipairs(svc.service.methods) do
    local m = svc.methods[i]
    write_expr(w, "impl_" .. m.attr .. " = ", "servicer." .. m.name)
  end
  w:line("return {")
  w:indent()
  for i, method in ipairs(svc.service.methods) do
    local m = svc.methods[i]
    local wrap = string.format("_ms_grpc.%s_%s(impl_%s)", aio and "aio" or "sync", m.shape, m.attr)
    w:line("%s: grpc.%s_rpc_method_handler(", py_string(method.name), m.shape)
    item_line(w, wrap)
    if svc.fory then
      keyword_line(w, "request_deserializer",
        string.format("_ms_grpc.tolerant(_ms_grpc.fory_reader(%s._get_fory, %s))", module_of(m.input), m.input))
      keyword_line(w, "response_serializer", string.format("_ms_grpc.fory_writer(%s._get_fory)", module_of(m.output)))
    else
      w:indent()
      write_expr(w, "request_deserializer=", string.format("_ms_grpc.tolerant(%s.FromString)", m.input), ",")
      w:dedent()
      w:line("    response_serializer=_serialize,")
    end
    w:line("),")
  end
  w:dedent()
  w:line("}")
  w:dedent()
  w:blank(2)
end

--- Python names and message references of services; `ref` gives the
--- expression of a message class from the module being written.
function M.service_plans(ctx, services, ref)
  local plans = {}
  for _, service in ipairs(services) do
    local svc = { service = service, methods = {}, flat = service.full_name:gsub("%.", "_"), fory = ctx.fory_companion }
    local pynames = method_names(ctx, service, STUB_TAKEN)
    for i, method in ipairs(service.methods) do
      svc.methods[i] = {
        method = method,
        name = pynames[i],
        attr = pynames[i],
        shape = shape_of(method),
        input = ref(method.input),
        output = ref(method.output),
      }
    end
    plans[#plans + 1] = svc
  end
  return plans
end

--- The text of `<module>_grpc.py` for the services of `mod`.
function M.module_text(ctx, mod, services)
  local aio = (ctx.options.grpc_mode or "aio") ~= "sync"
  local names = mod.names
  ctx.fory_companion = mod.fory
  local plans = M.service_plans(ctx, services, function(m) return mod:message_ref_grpc(m) end)
  local _ = SERVICER_TAKEN
  -- aristaproto's options, when given, choose the clients and add bases
  local opt = ctx.options.opt
  local shaped = opt.client_generation or opt.server_generation or opt.client_async_transport
    or opt.server_async_transport
  local settings = shaped and services_mod.settings(ctx.options, { client_generation = "none" }) or nil

  local body = Writer.new()
  for _, svc in ipairs(plans) do
    if settings then
      services_mod.write_service(body, ctx, svc, settings)
    else
      write_stub(body, ctx, svc, aio)
    end
    write_servicer(body, ctx, svc, aio)
    write_handlers(body, ctx, svc, aio)
  end
  -- the registrar
  body:line("def add_servicer(servicer: object, server: %s) -> None:", aio and "grpc.aio.Server" or "grpc.Server")
  body:indent()
  body:line('"""Registers `servicer` for every generated servicer type it is an instance of."""')
  body:line("added = False")
  for _, svc in ipairs(plans) do
    body:line("if isinstance(servicer, %s):", ctx.rules.service_servicer(svc.service))
    body:indent()
    write_call(body, "_ms_grpc.register",
      { "server", py_string(svc.service.full_name), string.format("_handlers_%s(servicer)", svc.flat) })
    body:dedent()
    body:line("    added = True")
  end
  body:line("if not added:")
  body:line('    raise TypeError(f"Unsupported gRPC servicer type: {type(servicer).__name__}")')
  body:dedent()

  local w = Writer.new()
  local sources = {}
  for _, file in ipairs(mod.files) do
    if #file.services > 0 then sources[#sources + 1] = file.path end
  end
  text.module_docstring(w, sources, string.format("gRPC companion (%s) generated", aio and "grpc.aio" or "sync grpcio"))
  w:blank()
  w:line("from __future__ import annotations")
  w:blank()
  local extra, support = {}, {}
  if settings then
    extra, support = services_mod.imports(settings, function(module, alias)
      return ctx.import_lines(mod, module, alias)
    end)
  end
  local has_asyncio = false
  for _, l in ipairs(extra) do has_asyncio = has_asyncio or l == "import asyncio" end
  if has_asyncio then w:line("import asyncio") end
  w:line("import typing")
  w:blank()
  w:line("import grpc")
  if aio then w:line("import grpc.aio") end
  for _, l in ipairs(extra) do
    if l ~= "import asyncio" and l ~= "" and l ~= "import grpc" and l ~= "import grpc.aio" then
      text.write_import(w, l)
    end
  end
  w:blank()
  for _, line in ipairs(ctx.import_lines(mod, "_moonstub", "_ms")) do text.write_import(w, line) end
  for _, line in ipairs(ctx.import_lines(mod, "_moonstub_grpc", "_ms_grpc")) do text.write_import(w, line) end
  for _, line in ipairs(support) do
    if not line:match(" as _ms_grpc$") then text.write_import(w, line) end
  end
  local imported = {}
  for other in pairs(mod.grpc_imports) do imported[#imported + 1] = other end
  table.sort(imported)
  for _, other in ipairs(imported) do
    for _, line in ipairs(ctx.import_lines(mod, other, names:import_alias(other))) do text.write_import(w, line) end
  end
  -- where other emitters add to the module (docs/lua-api.md, insertion points), as in the message modules
  w:line("# @@protoc_insertion_point(imports)")
  w:blank()
  -- like every generated module, the companion checks that its runtime can run it
  if ctx.version_check then
    w:line("%s", ctx.version_check)
    w:blank()
  end
  w:line("__all__ = [")
  for _, svc in ipairs(plans) do
    if settings then
      for _, c in ipairs(settings.clients) do
        w:line("    %s,", py_string(services_mod.client_name(ctx.rules, svc.service, c)))
      end
      if settings.server then w:line("    %s,", py_string(ctx.rules.service_base(svc.service))) end
    else
      w:line("    %s,", py_string(ctx.rules.service_stub(svc.service)))
    end
    w:line("    %s,", py_string(ctx.rules.service_servicer(svc.service)))
  end
  w:line('    "add_servicer",')
  w:line("]")
  w:blank()
  if settings then w:line(services_mod.METADATA_ALIAS) end
  w:line("_serialize = _ms.Message.SerializeToString")
  w:line("_REGISTERED = _ms_grpc.registered_method_keywords()")
  w:blank(2)
  return w:text() .. "\n\n" .. body:text() .. "\n\n# @@protoc_insertion_point(module_scope)\n"
end

return M
