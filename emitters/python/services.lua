-- aristaproto's generation options: sync and async clients over grpcio or
-- grpclib, and async server bases over grpcio or grpclib.
--
--   client_generation      none | sync | async | sync_async | async_sync | sync_async_no_default
--   client_async_transport grpclib | grpcio
--   server_generation      none | async
--   server_async_transport grpclib | grpcio
local text = require("emitters.python.text")
local py_string, docstring = text.py_string, text.docstring
local write_expr = text.write_expr

-- `expr` one level deeper than the writer's indentation, after `head`
-- (`head expr tail`), broken when too long: a parameter, an argument, an item.
local function nested(w, head, expr, tail, how)
  w:indent()
  write_expr(w, head, expr, tail, how)
  w:dedent()
end

-- `return call(args)` whose value mypy sees as Any (grpcio's untyped calls):
-- the `type: ignore` stays on the line the statement starts on.
local function write_any_return(w, call, args)
  local ignore = "  # type: ignore[no-any-return]"
  local line = string.format("return %s(%s)", call, args)
  if #line + #ignore + w:indent_width() <= text.LINE_LIMIT then
    w:line("%s%s", line, ignore)
  else
    w:line("return %s(%s", call, ignore)
    w:line("    %s", args)
    w:line(")")
  end
end

local M = {}

M.ARISTAPROTO_DEFAULTS = {
  client_generation = "sync", client_async_transport = "grpclib",
  server_generation = "none", server_async_transport = "grpclib",
}

--- The client classes to write: {kind = "sync"|"async", suffix = ""|"Sync"|"Async"}.
--- The suffix goes before the stub's "Stub", as in aristaproto:
--- MyServiceAsyncStub, MyServiceSyncStub (see M.client_name).
function M.client_plan(generation)
  return ({
    none = {},
    sync = { { kind = "sync", suffix = "" } },
    async = { { kind = "async", suffix = "" } },
    sync_async = { { kind = "sync", suffix = "" }, { kind = "async", suffix = "Async" } },
    async_sync = { { kind = "async", suffix = "" }, { kind = "sync", suffix = "Sync" } },
    sync_async_no_default = { { kind = "sync", suffix = "Sync" }, { kind = "async", suffix = "Async" } },
  })[generation]
end

--- The class name of client `c` (an entry of client_plan) of `service`:
--- the rules' stub name with the suffix before its "Stub" (MyServiceStub ->
--- MyServiceAsyncStub), or after it when the name does not end in "Stub".
function M.client_name(rules, service, c)
  local stub = rules.service_stub(service)
  if c.suffix == "" then return stub end
  local head = stub:match("^(.-)Stub$")
  if head and head ~= "" then return head .. c.suffix .. "Stub" end
  return stub .. c.suffix
end

--- The docstring lines of a node as aristaproto writes them: its detached,
--- leading and trailing comments, joined with one blank line between them
--- (runs of blank lines become one), one leading space dropped from each
--- line, backslashes and triple quotes escaped. nil when there is no comment.
function M.joined_comment_lines(comments)
  if not comments then return nil end
  local parts = {}
  for _, d in ipairs(comments.detached or {}) do parts[#parts + 1] = d end
  if comments.leading then parts[#parts + 1] = comments.leading end
  if comments.trailing then parts[#parts + 1] = comments.trailing end
  local lines = {}
  for _, part in ipairs(parts) do
    for l in (part:gsub("\n$", "") .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
    lines[#lines + 1] = ""
  end
  local out = {}
  for i, l in ipairs(lines) do
    if l ~= "" or i == 1 or lines[i - 1] ~= "" then
      l = l:gsub("^ ", ""):gsub("\\", "\\\\"):gsub('"""', '\\"\\"\\"')
      out[#out + 1] = l
    end
  end
  if #out > 0 and out[#out] == "" then out[#out] = nil end
  local any = false
  for _, l in ipairs(out) do any = any or l:match("%S") ~= nil end
  return any and out or nil
end

--- Writes the docstring of a node: under rules with `join_comments`
--- (aristaproto) its joined comments in aristaproto's layout (the quotes on
--- lines of their own); otherwise text.docstring's (the leading comment, else
--- the trailing one). `fallback` is the docstring when there is no comment.
function M.write_docstring(w, rules, comments, fallback)
  if not rules.join_comments then return docstring(w, comments, fallback) end
  local lines = M.joined_comment_lines(comments)
  if not lines then
    if fallback and #fallback + 6 + w:indent_width() > text.LINE_LIMIT then
      return text.write_joined_docstring(w, { fallback })
    end
    if fallback then w:line('"""%s"""', fallback) end
    return fallback ~= nil
  end
  return text.write_joined_docstring(w, lines)
end

local function shape(method)
  return (method.client_streaming and "stream" or "unary") .. "_" .. (method.server_streaming and "stream" or "unary")
end

local function path_of(method)
  return "/" .. method.parent.full_name .. "/" .. method.name
end

-- The class line, docstring and constructor of a client: `keywords` are
-- {name, annotation} pairs that become stub-level defaults.
local function write_client_head(w, ctx, svc, name, doc, channel_type, keywords)
  w:line("class %s:", name)
  w:indent()
  M.write_docstring(w, ctx.rules, svc.service.comments, string.format(doc, svc.service.full_name))
  w:blank()
  w:line("def __init__(")
  w:line("    self,")
  w:line("    channel: %s,", channel_type)
  w:line("    *,")
  for _, k in ipairs(keywords) do w:line("    %s: %s | None = None,", k[1], k[2]) end
  w:line(") -> None:")
  w:indent()
  local items = {}
  for _, k in ipairs(keywords) do items[#items + 1] = string.format('"%s": %s', k[1], k[1]) end
  local joined = table.concat(items, ", ")
  if #joined + 60 <= 110 then
    w:line("self._defaults: dict[str, typing.Any] = {%s}", joined)
  else
    w:line("self._defaults: dict[str, typing.Any] = {")
    for _, item in ipairs(items) do w:line("    %s,", item) end
    w:line("}")
  end
end

-- grpcio multicallables, one per method, made once in the constructor.
local function write_multicallables(w, svc)
  for _, m in ipairs(svc.methods) do
    w:line("self.__%s: typing.Any = channel.%s(", m.attr, shape(m.method))
    w:line("    %s,", py_string(path_of(m.method)))
    w:line("    request_serializer=_ms.Message.SerializeToString,")
    nested(w, "response_deserializer=", m.output .. ".FromString", ",")
    w:line(")")
  end
end

-- Whether a unary request may be left out (aristaproto: a request type with
-- no fields is `X | None = None`, None sending X()).
local function optional_request(ctx, m)
  return ctx.rules.optional_empty_request == true and not m.method.client_streaming
    and m.method.input and #m.method.input.fields == 0
end

-- The `def` line and parameters of a client method, up to the keywords;
-- `iterable` is the type of a request stream.
local function write_method_head(w, ctx, m, is_async, iterable, keywords, result)
  w:line("%sdef %s(", is_async and "async " or "", m.name)
  w:line("    self,")
  if m.method.client_streaming then
    nested(w, "messages: ", iterable, ",")
  elseif optional_request(ctx, m) then
    nested(w, "message: ", m.input .. " | None", " = None,")
  else
    nested(w, "message: ", m.input, ",")
  end
  w:line("    *,")
  -- None: the stub's default (as aristaproto's clients)
  for _, k in ipairs(keywords) do w:line("    %s: %s | None = None,", k[1], k[2]) end
  write_expr(w, ") -> ", result, ":")
end

-- The first lines of a client method body: docstring, the deprecation
-- warning of a deprecated rpc, the empty request left out.
-- `support` is the alias of the transport's support module (_ms_grpc, _grpclib).
local function write_method_prologue(w, ctx, svc, m, support)
  M.write_docstring(w, ctx.rules, m.method.comments, nil)
  local options = m.method.options
  if ctx.rules.deprecation_warnings and options and options.deprecated == true then
    local service = ctx.rules.service_stub(svc.service):gsub("Stub$", "")
    w:line("%s.deprecated(%s)", support, py_string(string.format("%s.%s is deprecated", service, m.name)))
  end
  if optional_request(ctx, m) then
    w:line("if message is None:")
    w:line("    message = %s()", m.input)
  end
end

local SYNC_KEYWORDS = { { "timeout", "float" }, { "metadata", "_Metadata" }, { "credentials", "grpc.CallCredentials" } }
local AIO_KEYWORDS = { { "timeout", "float" }, { "metadata", "_Metadata" }, { "credentials", "grpc.CallCredentials" },
  { "wait_for_ready", "bool" } }
local GRPCLIB_KEYWORDS = { { "timeout", "float" }, { "deadline", "grpclib.metadata.Deadline" },
  { "metadata", "_Metadata" } }

-- ---- sync grpcio client ------------------------------------------------------------

local function write_sync_client(w, ctx, svc, name)
  write_client_head(w, ctx, svc, name, "Synchronous grpcio client of %s.", "grpc.Channel", SYNC_KEYWORDS)
  write_multicallables(w, svc)
  w:dedent()
  for _, m in ipairs(svc.methods) do
    w:blank()
    local iterable = string.format("typing.Iterable[%s]", m.input)
    local result = m.method.server_streaming and string.format("typing.Iterator[%s]", m.output) or m.output
    write_method_head(w, ctx, m, false, iterable, SYNC_KEYWORDS, result)
    w:indent()
    write_method_prologue(w, ctx, svc, m, "_ms_grpc")
    w:line("options = _ms_grpc.call_options(")
    w:line("    self._defaults, timeout=timeout, metadata=metadata, credentials=credentials")
    w:line(")")
    -- grpcio calls next() on a request stream: a list or tuple becomes an iterator
    local arg = m.method.client_streaming and "iter(messages)" or "message"
    write_any_return(w, "self.__" .. m.attr, arg .. ", **options")
    w:dedent()
  end
  w:dedent()
  w:blank(2)
end

-- ---- grpcio AsyncIO client ----------------------------------------------------------------

local function write_grpcio_async_client(w, ctx, svc, name)
  write_client_head(w, ctx, svc, name, "grpc.aio client of %s.", "grpc.aio.Channel", AIO_KEYWORDS)
  write_multicallables(w, svc)
  w:dedent()
  for _, m in ipairs(svc.methods) do
    w:blank()
    local cs, ss = m.method.client_streaming, m.method.server_streaming
    local iterable = string.format("typing.Iterable[%s] | typing.AsyncIterable[%s]", m.input, m.input)
    local result = ss and string.format("typing.AsyncIterator[%s]", m.output) or m.output
    -- a server-streaming method is a plain def returning the async iterator
    -- (it can then check its arguments and warn at the call)
    write_method_head(w, ctx, m, not ss, iterable, AIO_KEYWORDS, result)
    w:indent()
    write_method_prologue(w, ctx, svc, m, "_ms_grpc")
    w:line("options = _ms_grpc.call_options(")
    w:line("    self._defaults, timeout=timeout, metadata=metadata, credentials=credentials,")
    w:line("    wait_for_ready=wait_for_ready,")
    w:line(")")
    if not cs and not ss then
      write_any_return(w, "await self.__" .. m.attr, "message, **options")
    elseif not cs and ss then
      write_expr(w, "return ", string.format("_ms_grpc.aio_unary_stream_call(self.__%s, message, options)", m.attr))
    elseif cs and not ss then
      write_any_return(w, "await _ms_grpc.aio_stream_unary_call", string.format("self.__%s, messages, options", m.attr))
    else
      write_expr(w, "return ", string.format("_ms_grpc.aio_stream_stream_call(self.__%s, messages, options)", m.attr))
    end
    w:dedent()
  end
  w:dedent()
  w:blank(2)
end

-- ---- grpclib client ---------------------------------------------------------------------------

local function write_grpclib_client(w, ctx, svc, name)
  write_client_head(w, ctx, svc, name, "grpclib client of %s.", "grpclib.client.Channel", GRPCLIB_KEYWORDS)
  w:line("self._channel = channel")
  w:dedent()
  for _, m in ipairs(svc.methods) do
    w:blank()
    local cs, ss = m.method.client_streaming, m.method.server_streaming
    local iterable = string.format("typing.Iterable[%s] | typing.AsyncIterable[%s]", m.input, m.input)
    local result = ss and string.format("typing.AsyncIterator[%s]", m.output) or m.output
    write_method_head(w, ctx, m, true, iterable, GRPCLIB_KEYWORDS, result)
    w:indent()
    write_method_prologue(w, ctx, svc, m, "_grpclib")
    w:line("options = _grpclib.call_options(self._defaults, timeout=timeout, deadline=deadline, metadata=metadata)")
    w:line("request = self._channel.request(")
    w:line("    %s,", py_string(path_of(m.method)))
    w:line("    grpclib.const.Cardinality.%s,", shape(m.method):upper())
    nested(w, "", m.input, ",", { inside = true })
    nested(w, "", m.output, ",", { inside = true })
    w:line("    **options,")
    w:line(")")
    if not cs and not ss then
      w:line("async with request as stream:")
      w:line("    await stream.send_message(message, end=True)")
      w:line("    response = await stream.recv_message()")
      w:line("assert response is not None")
      w:line("return response")
    elseif not cs and ss then
      w:line("async with request as stream:")
      w:line("    await stream.send_message(message, end=True)")
      w:line("    async for response in stream:")
      w:line("        yield response")
    elseif cs and not ss then
      w:line("async with request as stream:")
      w:line("    await _grpclib.send_all(stream, messages)")
      w:line("    response = await stream.recv_message()")
      w:line("assert response is not None")
      w:line("return response")
    else
      w:line("async with request as stream:")
      w:line("    await stream.send_request()")
      w:line("    sender = _grpclib.send_in_background(stream, messages)")
      w:line("    try:")
      w:line("        async for response in stream:")
      w:line("            yield response")
      w:line("        await sender")
      w:line("    finally:")
      w:line("        if not sender.done():")
      w:line("            sender.cancel()")
    end
    w:dedent()
  end
  w:dedent()
  w:blank(2)
end

-- ---- server bases ------------------------------------------------------------------------------

-- The class line, docstring and the methods to override of a server base;
-- `unimplemented(m)` writes the body of each default method.
local function write_base_head(w, ctx, svc, name, doc, unimplemented)
  w:line("class %s:", name)
  w:indent()
  M.write_docstring(w, ctx.rules, svc.service.comments, string.format(doc, svc.service.full_name))
  for _, m in ipairs(svc.methods) do
    w:blank()
    local cs, ss = m.method.client_streaming, m.method.server_streaming
    local arg = cs and "messages" or "message"
    local arg_type = cs and string.format("typing.AsyncIterator[%s]", m.input) or m.input
    local result = ss and string.format("typing.AsyncIterator[%s]", m.output) or m.output
    local head = string.format("async def %s(self, %s: %s) -> %s:", m.name, arg, arg_type, result)
    if #head + w:indent_width() <= 120 then
      w:line("%s", head)
    else
      w:line("async def %s(", m.name)
      nested(w, "self, " .. arg .. ": ", arg_type, "")
      write_expr(w, ") -> ", result, ":")
    end
    w:indent()
    M.write_docstring(w, ctx.rules, m.method.comments, nil)
    unimplemented(m)
    w:dedent()
  end
end

local function write_grpcio_base(w, ctx, svc, name)
  write_base_head(w, ctx, svc, name,
    "grpc.aio server base of %s: override the methods, then add self._grpcio_rpc_handler() to the server.",
    function(m)
      text.write_call(w, "await self._grpcio_context.abort",
        { "grpc.StatusCode.UNIMPLEMENTED", { text = "Method " .. path_of(m.method) .. " is not implemented" } })
      if m.method.server_streaming then
        w:line("return")
        w:line("yield")
      else
        text.write_call(w, "raise NotImplementedError", { { text = path_of(m.method) } })
      end
    end)
  w:blank()
  w:line("@property")
  w:line("def _grpcio_context(self) -> grpc.aio.ServicerContext[typing.Any, typing.Any]:")
  w:line('    """The grpc.aio ServicerContext of the request being served."""')
  w:line("    return _ms_grpc.current_context()  # type: ignore[no-any-return]")
  w:blank()
  w:line("def _grpcio_rpc_handler(self) -> grpc.GenericRpcHandler:")
  w:indent()
  w:line("return grpc.method_handlers_generic_handler(")
  w:line("    %s,", py_string(svc.service.full_name))
  w:line("    {")
  for _, m in ipairs(svc.methods) do
    local cs, ss = m.method.client_streaming, m.method.server_streaming
    local handler
    if ss then
      handler = string.format("_ms_grpc.base_server_stream(self, %s, %s)", py_string(m.name), cs and "True" or "False")
    elseif cs then
      handler = string.format("_ms_grpc.base_client_stream(self, %s)", py_string(m.name))
    else
      handler = string.format("_ms_grpc.base_unary(self, %s)", py_string(m.name))
    end
    w:line("        %s: grpc.%s_rpc_method_handler(", py_string(m.method.name), shape(m.method))
    w:line("            %s,", handler)
    w:indent()
    w:indent()
    nested(w, "request_deserializer=", string.format("_ms_grpc.tolerant(%s.FromString)", m.input), ",")
    w:dedent()
    w:dedent()
    w:line("            response_serializer=_ms.Message.SerializeToString,")
    w:line("        ),")
  end
  w:line("    },")
  w:line(")")
  w:dedent()
  w:dedent()
  w:blank(2)
end

local function write_grpclib_base(w, ctx, svc, name)
  -- a grpclib.server.Server handler by its __mapping__ (grpclib's IServable protocol)
  write_base_head(w, ctx, svc, name,
    "grpclib server base of %s: override the methods and pass the instance to grpclib.server.Server.",
    function(m)
      text.write_call(w, "raise _grpclib.unimplemented", { { text = path_of(m.method) } })
      if m.method.server_streaming then w:line("yield") end
    end)
  for _, m in ipairs(svc.methods) do
    w:blank()
    local cs, ss = m.method.client_streaming, m.method.server_streaming
    write_expr(w, "async def ",
      string.format("_rpc_%s(self, stream: grpclib.server.Stream[typing.Any, typing.Any])", m.attr), " -> None:",
      { bare = true })
    w:indent()
    if cs then
      w:line("requests = _grpclib.requests(stream)")
    else
      w:line("request = await _grpclib.recv(stream)")
    end
    local arg = cs and "requests" or "request"
    if ss then
      -- an async generator, or an async def returning None (no responses)
      write_expr(w, "await ",
        string.format("_grpclib.send_stream(stream, %s, self.%s(%s))", py_string(m.name), m.name, arg))
    else
      write_expr(w, "await ", string.format("stream.send_message(await self.%s(%s))", m.name, arg))
    end
    w:dedent()
  end
  w:blank()
  w:line("def __mapping__(self) -> dict[str, grpclib.const.Handler]:")
  w:indent()
  -- paths too long for their line: the service's part named once
  local prefix = "/" .. svc.service.full_name .. "/"
  local long = false
  for _, m in ipairs(svc.methods) do
    long = long or #py_string(path_of(m.method)) + 28 + w:indent_width() > text.LINE_LIMIT
  end
  if long then w:line("service = %s", py_string(prefix)) end
  w:line("return {")
  for _, m in ipairs(svc.methods) do
    local key = long and "service + " .. py_string(m.method.name) or py_string(path_of(m.method))
    w:line("    %s: grpclib.const.Handler(", key)
    w:line("        self._rpc_%s,", m.attr)
    w:line("        grpclib.const.Cardinality.%s,", shape(m.method):upper())
    w:indent()
    nested(w, "", m.input, ",", { inside = true })
    nested(w, "", m.output, ",", { inside = true })
    w:dedent()
    w:line("    ),")
  end
  w:line("}")
  w:dedent()
  w:dedent()
  w:blank(2)
end

--- What the options ask for: {clients = {...}, async_transport, server}.
function M.settings(options, defaults)
  local opt = options.opt
  local function get(key) return opt[key] or defaults[key] end
  return {
    clients = M.client_plan(get("client_generation") or "none"),
    client_async_transport = get("client_async_transport") or "grpclib",
    server = get("server_generation") == "async",
    server_async_transport = get("server_async_transport") or "grpclib",
  }
end

--- The imports those classes need (lines), given `import_lines(module, alias)`.
function M.imports(settings, import_lines)
  local lines, need = {}, {}
  for _, c in ipairs(settings.clients) do
    if c.kind == "sync" or settings.client_async_transport == "grpcio" then need.grpc = true end
    if c.kind == "async" and settings.client_async_transport == "grpclib" then
      need.grpclib, need.grpclib_client = true, true
    end
    if c.kind == "async" and settings.client_async_transport == "grpcio" then need.aio = true end
  end
  if settings.server then
    if settings.server_async_transport == "grpcio" then need.grpc, need.aio = true, true
    else need.grpclib = true end
  end
  if need.grpclib then
    lines[#lines + 1] = "import grpclib.client"
    lines[#lines + 1] = "import grpclib.const"
    lines[#lines + 1] = "import grpclib.metadata"
    lines[#lines + 1] = "import grpclib.server"
  end
  if need.grpc then
    lines[#lines + 1] = "import grpc"
    if need.aio then lines[#lines + 1] = "import grpc.aio" end
  end
  local support = {}
  if need.grpc then
    for _, l in ipairs(import_lines("_moonstub_grpc", "_ms_grpc")) do support[#support + 1] = l end
  end
  if need.grpclib then
    for _, l in ipairs(import_lines("_moonstub_grpclib", "_grpclib")) do support[#support + 1] = l end
  end
  return lines, support, need
end

--- Writes the clients and bases of one service plan (methods with Python
--- names and message references already worked out).
function M.write_service(w, ctx, svc, settings)
  local rules = ctx.rules
  for _, c in ipairs(settings.clients) do
    local name = M.client_name(rules, svc.service, c)
    if c.kind == "sync" then
      write_sync_client(w, ctx, svc, name)
    elseif settings.client_async_transport == "grpcio" then
      write_grpcio_async_client(w, ctx, svc, name)
    else
      write_grpclib_client(w, ctx, svc, name)
    end
  end
  if settings.server then
    if settings.server_async_transport == "grpcio" then
      write_grpcio_base(w, ctx, svc, rules.service_base(svc.service))
    else
      write_grpclib_base(w, ctx, svc, rules.service_base(svc.service))
    end
  end
end

M.METADATA_ALIAS = "_Metadata = typing.Union[\n" ..
  "    typing.Mapping[str, typing.Union[str, bytes]], typing.Sequence[typing.Tuple[str, typing.Union[str, bytes]]]\n" ..
  "]"

return M
