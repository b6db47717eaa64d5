-- The protobuf wire codec of one message class, as specialised Python
-- functions: _e_<Name>(msg, out) appends the encoding to a bytearray,
-- _d_<Name>(buf, pos, end, depth, into, group) decodes.
local M = {}

local VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5

local wire_of = {
  double = I64, float = I32, int64 = VARINT, uint64 = VARINT, int32 = VARINT, fixed64 = I64,
  fixed32 = I32, bool = VARINT, string = LEN, group = SGROUP, message = LEN, bytes = LEN,
  uint32 = VARINT, enum = VARINT, sfixed32 = I32, sfixed64 = I64, sint32 = VARINT, sint64 = VARINT,
}
M.wire_of = wire_of

local struct_of = {
  double = "_ms.F64", float = "_ms.F32", fixed64 = "_ms.U64", fixed32 = "_ms.U32",
  sfixed32 = "_ms.I32", sfixed64 = "_ms.I64",
}
local struct_code = { double = "d", float = "f", fixed64 = "Q", fixed32 = "I", sfixed32 = "i", sfixed64 = "q" }
local struct_size = { double = 8, float = 4, fixed64 = 8, fixed32 = 4, sfixed32 = 4, sfixed64 = 8 }

--- The tag value and its varint bytes as a Python bytes literal.
local function tag_of(number, wire)
  local v = number * 8 + wire
  local bytes = {}
  repeat
    local b = v % 128
    v = v // 128
    if v > 0 then b = b + 128 end
    bytes[#bytes + 1] = string.format("\\x%02x", b)
  until v == 0
  return number * 8 + wire, 'b"' .. table.concat(bytes) .. '"'
end
M.tag_of = tag_of

-- Python expression turning the raw varint `v` into the field's value.
local function from_varint(kind, v)
  if kind == "int32" or kind == "enum" then return "_to_int32(" .. v .. ")" end
  if kind == "int64" then return "_to_int64(" .. v .. ")" end
  if kind == "uint32" then return v .. " & 0xFFFFFFFF" end
  if kind == "uint64" then return v end
  if kind == "sint32" then return "_zz_dec32(" .. v .. ")" end
  if kind == "sint64" then return "_zz_dec(" .. v .. ")" end
  if kind == "bool" then return v .. " != 0" end
  error("not a varint kind: " .. kind)
end

-- Python expression of the varint bytes for value `v` of the kind.
local function to_varint(kind, v)
  if kind == "sint32" or kind == "sint64" then return "_varint(_zz_enc(" .. v .. "))" end
  if kind == "bool" then return '(b"\\x01" if ' .. v .. ' else b"\\x00")' end
  return "_varint(" .. v .. ")"
end

-- Lines reading a varint into `var` (fast path for one byte).
local function read_varint_lines(w, var, endvar)
  w:line("if pos < %s and buf[pos] < 128:", endvar)
  w:line("    %s = buf[pos]", var)
  w:line("    pos += 1")
  w:line("else:")
  w:line("    %s, pos = _read_varint(buf, pos, %s)", var, endvar)
end

--- Describes one field for code generation (the plan of the message emitter).
--- f = {attr, number, kind, repeated, map, presence, packed, utf8, oneof_index,
---      enum_flat, enum_closed, msg_flat, msg_decode, msg_encode, delimited}

-- Lines decoding one scalar value (not repeated) into expression `target`
-- assignment: calls `assign(expr)` which writes the store.
local function decode_scalar(w, f, kind, assign, endvar)
  if wire_of[kind] == VARINT then
    read_varint_lines(w, "v", endvar)
    if kind == "enum" then
      if f.enum_closed then
        w:line("v = _to_int32(v)")
        w:line("if v in %s._value2member_map_:", f.enum_flat)
        w:indent()
        assign(f.enum_flat .. "(v)")
        w:dedent()
        w:line("else:")
        w:line("    unknown += buf[start:pos]")
      else
        assign(f.enum_flat .. "(_to_int32(v))")
      end
    else
      assign(from_varint(kind, "v"))
    end
  elseif struct_of[kind] then
    w:line("if pos + %d > %s:", struct_size[kind], endvar)
    w:line('    raise _DecodeError("truncated fixed-width value")')
    assign(struct_of[kind] .. ".unpack_from(buf, pos)[0]")
    w:line("pos += %d", struct_size[kind])
  elseif kind == "string" or kind == "bytes" then
    w:line("stop, pos = _read_length(buf, pos, %s)", endvar)
    if kind == "bytes" then
      assign("buf[pos:stop]")
    elseif f.utf8 then
      assign("_utf8(buf, pos, stop)")
    else
      assign("_utf8_lenient(buf, pos, stop)")
    end
    w:line("pos = stop")
  else
    error("decode_scalar: " .. kind)
  end
end

-- Valid ranges of integer kinds, checked before encoding (protobuf refuses
-- out-of-range values; they must not wrap silently on the wire).
local RANGES = {
  int32 = { "-0x80000000", "0x7FFFFFFF" }, sint32 = { "-0x80000000", "0x7FFFFFFF" },
  sfixed32 = { "-0x80000000", "0x7FFFFFFF" }, uint32 = { "0", "0xFFFFFFFF" }, fixed32 = { "0", "0xFFFFFFFF" },
  int64 = { "-0x8000000000000000", "0x7FFFFFFFFFFFFFFF" }, sint64 = { "-0x8000000000000000", "0x7FFFFFFFFFFFFFFF" },
  sfixed64 = { "-0x8000000000000000", "0x7FFFFFFFFFFFFFFF" }, uint64 = { "0", "0xFFFFFFFFFFFFFFFF" },
  fixed64 = { "0", "0xFFFFFFFFFFFFFFFF" },
}
M.RANGES = RANGES

local function check_range(w, f, kind, v)
  local r = RANGES[kind]
  if not r then return end
  w:line("if not %s <= %s <= %s:", r[1], v, r[2])
  w:line('    _range_error("%s", "%s", %s)', f.full_name or "map entry", kind, v)
end

local function check_range_all(w, f, kind, values)
  local r = RANGES[kind]
  if not r then return end
  w:line("if min(%s) < %s or max(%s) > %s:", values, r[1], values, r[2])
  w:line('    _range_errors("%s", "%s", %s)', f.full_name or "map entry", kind, values)
end

-- Lines encoding scalar expression `v` of `kind` with tag bytes `tag`.
local function encode_scalar(w, f, kind, tag, v, out)
  out = out or "out"
  check_range(w, f, kind, v)
  if wire_of[kind] == VARINT then
    w:line("%s += %s", out, tag)
    w:line("%s += %s", out, to_varint(kind, v))
  elseif struct_of[kind] then
    w:line("%s += %s", out, tag)
    if kind == "float" then
      w:line("%s += _ms.pack_f32(%s)", out, v)
    else
      w:line("%s += %s.pack(%s)", out, struct_of[kind], v)
    end
  elseif kind == "string" then
    local b = "s_" .. (f.attr or "value")
    w:line("%s = %s(%s)", b, f.utf8 and "_enc_utf8" or "_enc_utf8_lenient", v)
    w:line("%s += %s", out, tag)
    w:line("%s += _varint(len(%s))", out, b)
    w:line("%s += %s", out, b)
  elseif kind == "bytes" then
    w:line("%s += %s", out, tag)
    w:line("%s += _varint(len(%s))", out, v)
    w:line("%s += %s", out, v)
  else
    error("encode_scalar: " .. kind)
  end
end

local function is_packable(kind)
  return kind ~= "string" and kind ~= "bytes" and kind ~= "message" and kind ~= "group"
end

-- ---- decoding --------------------------------------------------------------

local function decode_message_value(w, f, target_expr, assign)
  -- `target_expr` is the existing value to merge into (or "None")
  local tmp = "m_" .. f.attr
  if f.delimited then
    w:line("%s, pos = %s(buf, pos, end, depth + 1, %s, %d)", tmp, f.msg_decode, target_expr, f.number)
  else
    w:line("stop, pos = _read_length(buf, pos, end)")
    w:line("%s, _ = %s(buf, pos, stop, depth + 1, %s, 0)", tmp, f.msg_decode, target_expr)
    w:line("pos = stop")
  end
  assign(tmp)
end

-- The branches of one field in the decode loop.
local function decode_field_branches(w, f, emit_branch)
  local var = "f_" .. f.attr
  if f.map then
    local tag = tag_of(f.number, LEN)
    emit_branch(tag, function()
      w:line("stop, pos = _read_length(buf, pos, end)")
      w:line("k_%s, x_%s, pos = %s(buf, pos, stop, depth + 1)", f.attr, f.attr, f.entry_decode)
      w:line("%s[k_%s] = x_%s", var, f.attr, f.attr)
    end)
    return
  end
  local kind = f.kind
  if kind == "message" or kind == "group" then
    local wire = f.delimited and SGROUP or LEN
    emit_branch(tag_of(f.number, wire), function()
      if f.repeated then
        decode_message_value(w, f, "None", function(e) w:line("%s.append(%s)", var, e) end)
      else
        local assign = function(e) w:line("%s = %s", var, e) end
        local g = f.oneof_group
        -- a member after another of its oneof starts afresh, not merged into a stale value
        if g then w:line("if %s != %d:", g.var, f.oneof_position); w:line("    %s = None", var) end
        decode_message_value(w, f, var, assign)
        if f.oneof_siblings then
          for _, other in ipairs(f.oneof_siblings) do w:line("f_%s = None", other) end
        end
        if g then w:line("%s = %d", g.var, f.oneof_position) end
      end
    end)
    return
  end
  local wire = wire_of[kind]
  if f.repeated then
    emit_branch(tag_of(f.number, wire), function()
      decode_scalar(w, f, kind, function(e) w:line("%s.append(%s)", var, e) end, "end")
    end)
    if is_packable(kind) then
      emit_branch(tag_of(f.number, LEN), function()
        w:line("stop, pos = _read_length(buf, pos, end)")
        if struct_of[kind] then
          w:line('%s.extend(_ms.read_packed_fixed("%s", %d, buf, pos, stop))', var, struct_code[kind], struct_size[kind])
          w:line("pos = stop")
        elseif kind == "uint64" then
          w:line("%s.extend(_ms.decode_varints(buf, pos, stop))", var)
          w:line("pos = stop")
        elseif kind == "int64" or kind == "uint32" or kind == "sint32" or kind == "sint64" or kind == "bool"
            or kind == "int32" or (kind == "enum" and not f.enum_closed) then
          w:line("%s.extend([%s for v in _ms.decode_varints(buf, pos, stop)])", var,
            kind == "enum" and (f.enum_flat .. "(_to_int32(v))") or from_varint(kind, "v"))
          w:line("pos = stop")
        else
          w:line("while pos < stop:")
          w:indent()
          if kind == "enum" and f.enum_closed then
            read_varint_lines(w, "v", "stop")
            w:line("v = _to_int32(v)")
            w:line("if v in %s._value2member_map_:", f.enum_flat)
            w:line("    %s.append(%s(v))", var, f.enum_flat)
            w:line("else:")
            w:line("    unknown += %s", "_varint(" .. tag_of(f.number, VARINT) .. ") + _varint(v)")
          else
            decode_scalar(w, f, kind, function(e) w:line("%s.append(%s)", var, e) end, "stop")
          end
          w:dedent()
        end
      end)
    end
    return
  end
  emit_branch(tag_of(f.number, wire), function()
    decode_scalar(w, f, kind, function(e)
      w:line("%s = %s", var, e)
      -- a oneof member clears the others, only when the value is stored (an
      -- unknown closed-enum number goes to the unknown fields instead)
      for _, other in ipairs(f.oneof_siblings or {}) do w:line("f_%s = None", other) end
      if f.oneof_group then w:line("%s = %d", f.oneof_group.var, f.oneof_position) end
    end, "end")
  end)
end

--- Writes `_d_<flat>(buf, pos, end, depth, into, group)`.
function M.write_decoder(w, plan)
  local cls, flat = plan.qualname, plan.flat
  w:line("def _d_%s(", flat)
  w:line("    buf: bytes, pos: int, end: int, depth: int, into: %s | None, group: int", cls)
  w:line(") -> tuple[%s, int]:", cls)
  w:indent()
  w:line("if depth > _MAX_DEPTH:")
  w:line('    raise _DecodeError("nesting deeper than 100 levels")')
  for _, f in ipairs(plan.fields) do
    w:line("f_%s: %s = %s", f.attr, f.py_type, f.decode_init)
  end
  for _, o in ipairs(plan.oneofs) do
    if o.var then w:line("%s = 0  # the member of oneof %s decoded last (1-based), 0: none", o.var, o.name) end
  end
  w:line("unknown = bytearray()")
  w:line("if into is not None:")
  w:indent()
  for _, f in ipairs(plan.fields) do
    if f.map then
      w:line("f_%s = dict(into.%s)", f.attr, f.attr)
    elseif f.repeated then
      w:line("f_%s = list(into.%s)", f.attr, f.attr)
    else
      w:line("f_%s = into.%s", f.attr, f.attr)
    end
  end
  w:line("unknown += into._unknown")
  w:dedent()
  w:line("while pos < end:")
  w:indent()
  w:line("start = pos")
  w:line("tag = buf[pos]")
  w:line("if tag < 128:")
  w:line("    pos += 1")
  w:line("else:")
  w:line("    tag, pos = _read_tag(buf, pos, end)")
  local first = true
  local function emit_branch(tag, body)
    w:line("%s tag == %d:", first and "if" or "elif", tag)
    first = false
    w:indent()
    body()
    w:dedent()
  end
  for _, f in ipairs(plan.fields_by_number) do decode_field_branches(w, f, emit_branch) end
  w:line(first and "if True:" or "else:")
  w:indent()
  w:line("if tag & 7 == 4:")
  w:line("    if group and tag >> 3 == group:")
  w:line("        break")
  w:line('    raise _DecodeError("unexpected END_GROUP tag")')
  w:line("pos = _skip(buf, pos, end, tag, depth)")
  w:line("unknown += buf[start:pos]")
  w:dedent()
  w:dedent()
  w:line("else:")
  w:line("    if group:")
  w:line('        raise _DecodeError("unterminated group")')
  local args = {}
  for _, f in ipairs(plan.fields) do
    local g = f.oneof_group
    if g then
      -- only the member decoded last survives (all of `into`'s when none was)
      args[#args + 1] = string.format("f_%s if %s in (0, %d) else None", f.attr, g.var, f.oneof_position)
    else
      args[#args + 1] = "f_" .. f.attr
    end
  end
  args[#args + 1] = "bytes(unknown)"
  w:line("return %s(%s), pos", cls, table.concat(args, ", "))
  w:dedent()
  w:blank(2)
end

--- Writes `_de_<flat>_<field>(buf, pos, end, depth) -> (key, value, pos)` for
--- each map field: the entry message inlined.
function M.write_map_entry_decoders(w, plan)
  for _, f in ipairs(plan.fields) do
    if f.map then
      local k, v = f.map.key, f.map.value
      w:line("def %s(buf: bytes, pos: int, end: int, depth: int) -> tuple[%s, %s, int]:",
        f.entry_decode, k.py_type, v.py_type)
      w:indent()
      w:line("k: %s = %s", k.py_type, k.zero)
      local is_message = v.kind == "message" or v.kind == "group"
      w:line("x: %s = %s", is_message and (v.py_type .. " | None") or v.py_type, v.zero)
      w:line("while pos < end:")
      w:indent()
      w:line("start = pos")
      w:line("tag = buf[pos]")
      w:line("if tag < 128:")
      w:line("    pos += 1")
      w:line("else:")
      w:line("    tag, pos = _read_tag(buf, pos, end)")
      w:line("if tag == %d:", (tag_of(1, wire_of[k.kind])))
      w:indent()
      decode_scalar(w, k, k.kind, function(e) w:line("k = %s", e) end, "end")
      w:dedent()
      w:line("elif tag == %d:", (tag_of(2, wire_of[v.kind] == SGROUP and LEN or wire_of[v.kind])))
      w:indent()
      if v.kind == "message" or v.kind == "group" then
        w:line("stop, pos = _read_length(buf, pos, end)")
        w:line("x, _ = %s(buf, pos, stop, depth + 1, None, 0)", v.msg_decode)
        w:line("pos = stop")
      elseif v.kind == "enum" and v.enum_closed then
        read_varint_lines(w, "n", "end")
        w:line("n = _to_int32(n)")
        w:line("if n not in %s._value2member_map_:", v.enum_flat)
        w:line('    raise _DecodeError("unknown value of a closed enum in a map entry")')
        w:line("x = %s(n)", v.enum_flat)
      else
        decode_scalar(w, v, v.kind, function(e) w:line("x = %s", e) end, "end")
      end
      w:dedent()
      w:line("else:")
      w:indent()
      w:line("if tag & 7 == 4:")
      w:line('    raise _DecodeError("unexpected END_GROUP tag")')
      w:line("pos = _skip(buf, pos, end, tag, depth)")
      w:dedent()
      w:dedent()
      if is_message then
        w:line("if x is None:")
        w:line("    x = %s()", v.py_type)
      end
      w:line("return k, x, pos")
      w:dedent()
      w:blank(2)
    end
  end
end

-- ---- encoding ------------------------------------------------------------------

local function encode_message_value(w, f, v, tag_number)
  if f.delimited then
    w:line("out += %s", select(2, tag_of(tag_number, SGROUP)))
    w:line("%s(%s, out)", f.msg_encode, v)
    w:line("out += %s", select(2, tag_of(tag_number, EGROUP)))
  else
    local b = "b_" .. f.attr
    w:line("%s = bytearray()", b)
    w:line("%s(%s, %s)", f.msg_encode, v, b)
    w:line("out += %s", select(2, tag_of(tag_number, LEN)))
    w:line("out += _varint(len(%s))", b)
    w:line("out += %s", b)
  end
end

local function encode_map(w, f, var)
  local k, v = f.map.key, f.map.value
  local _, ktag = tag_of(1, wire_of[k.kind])
  local mk, mv, e = "mk_" .. f.attr, "mv_" .. f.attr, "e_" .. f.attr
  w:line("for %s, %s in %s.items():", mk, mv, var)
  w:indent()
  w:line("%s = bytearray()", e)
  encode_scalar(w, k, k.kind, ktag, mk, e)
  if v.kind == "message" or v.kind == "group" then
    local b = "b_" .. f.attr
    w:line("%s = bytearray()", b)
    w:line("%s(%s, %s)", v.msg_encode, mv, b)
    w:line("%s += %s", e, select(2, tag_of(2, LEN)))
    w:line("%s += _varint(len(%s))", e, b)
    w:line("%s += %s", e, b)
  else
    encode_scalar(w, v, v.kind, select(2, tag_of(2, wire_of[v.kind])), mv, e)
  end
  w:line("out += %s", select(2, tag_of(f.number, LEN)))
  w:line("out += _varint(len(%s))", e)
  w:line("out += %s", e)
  w:dedent()
end

local function encode_field(w, f)
  local var = "v_" .. f.attr
  w:line("%s = m.%s", var, f.attr)
  if f.map then
    encode_map(w, f, var)
    return
  end
  local x, b = "x_" .. f.attr, "b_" .. f.attr
  local kind = f.kind
  if f.repeated then
    if kind == "message" or kind == "group" then
      w:line("for %s in %s:", x, var)
      w:indent()
      encode_message_value(w, f, x, f.number)
      w:dedent()
    elseif f.packed then
      w:line("if %s:", var)
      w:indent()
      check_range_all(w, f, kind, var)
      if struct_of[kind] then
        if kind == "float" then
          w:line("%s = bytearray()", b)
          w:line("for %s in %s:", x, var)
          w:line("    %s += _ms.pack_f32(%s)", b, x)
        else
          w:line('%s = bytearray(_ms.pack_repeated("%s", %s))', b, struct_code[kind], var)
        end
      elseif kind == "bool" then
        w:line("%s = bytes([1 if %s else 0 for %s in %s])", b, x, x, var)
      elseif kind == "sint32" or kind == "sint64" then
        w:line("%s = _ms.encode_varints([_zz_enc(%s) for %s in %s])", b, x, x, var)
      else
        w:line("%s = _ms.encode_varints(%s)", b, var)
      end
      w:line("out += %s", select(2, tag_of(f.number, LEN)))
      w:line("out += _varint(len(%s))", b)
      w:line("out += %s", b)
      w:dedent()
    else
      w:line("for %s in %s:", x, var)
      w:indent()
      encode_scalar(w, f, kind, select(2, tag_of(f.number, wire_of[kind])), x)
      w:dedent()
    end
    return
  end
  if f.required then
    w:line("if %s is None:", var)
    w:line('    raise _ms.EncodeError("required field %s.%s is not set")', f.message_full_name, f.name)
  end
  if f.presence then
    w:line("if %s is not None:", var)
  elseif kind == "float" or kind == "double" then
    w:line("if %s or _copysign(1.0, %s) < 0.0:", var, var)
  else
    w:line("if %s:", var)
  end
  w:indent()
  if kind == "message" or kind == "group" then
    encode_message_value(w, f, var, f.number)
  else
    encode_scalar(w, f, kind, select(2, tag_of(f.number, wire_of[kind])), var)
  end
  w:dedent()
end

--- Writes `_e_<flat>(m, out)`.
function M.write_encoder(w, plan)
  w:line("def _e_%s(m: %s, out: bytearray) -> None:", plan.flat, plan.qualname)
  w:indent()
  for _, f in ipairs(plan.fields_by_number) do encode_field(w, f) end
  w:line("if m._unknown:")
  w:line("    out += m._unknown")
  w:dedent()
  w:blank(2)
end

return M
