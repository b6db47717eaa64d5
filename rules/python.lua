-- Python's reserved words, soft keywords and the names generated modules
-- define or import, used by the escape hook of every naming policy.
local M = {}

local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

M.keywords = set {
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
  "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
  "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
  "try", "while", "with", "yield",
}

M.soft_keywords = set { "match", "case", "type", "_" }

-- Python's builtins: a generated module or class body that defines one of
-- these hides it from the code after it.
M.builtins = set {
  "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BaseExceptionGroup",
  "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning", "ChildProcessError",
  "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError", "ConnectionResetError",
  "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning", "EnvironmentError", "Exception",
  "ExceptionGroup", "FileExistsError", "FileNotFoundError", "FloatingPointError", "FutureWarning",
  "GeneratorExit", "IOError", "ImportError", "ImportWarning", "IndentationError", "IndexError",
  "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError",
  "ModuleNotFoundError", "NameError", "NotADirectoryError", "NotImplemented", "NotImplementedError",
  "OSError", "OverflowError", "PendingDeprecationWarning", "PermissionError", "ProcessLookupError",
  "RecursionError", "ReferenceError", "ResourceWarning", "RuntimeError", "RuntimeWarning",
  "StopAsyncIteration", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit",
  "TabError", "TimeoutError", "TypeError", "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError",
  "UnicodeError", "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError", "Warning",
  "ZeroDivisionError", "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint",
  "bytearray", "bytes", "callable", "chr", "classmethod", "compile", "complex", "copyright", "credits",
  "delattr", "dict", "dir", "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format",
  "frozenset", "getattr", "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance",
  "issubclass", "iter", "len", "license", "list", "locals", "map", "max", "memoryview", "min", "next",
  "object", "oct", "open", "ord", "pow", "print", "property", "quit", "range", "repr", "reversed", "round",
  "set", "setattr", "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip",
}

-- The builtin types annotations and defaults in a class body name: a field
-- with one of these names would hide the type from the fields after it.
M.type_names = set {
  "int", "float", "str", "bytes", "bool", "list", "dict",
}

--- A dunder (__x__): special to Python wherever it is defined.
function M.is_dunder(name)
  return name:byte(1) == 95 and #name > 4 and name:match("^__.*__$") ~= nil
end

--- Enum members Python's enum module reserves or defines: _sunder_ names,
--- dunders, and the `name` / `value` properties.
function M.is_enum_reserved(name)
  if name == "name" or name == "value" or name == "mro" then return true end
  if M.is_dunder(name) then return true end
  return #name > 2 and name:match("^_[^_].*[^_]_$") ~= nil or name == "_"
end

--- True when `name` cannot be used as a Python identifier as is.
function M.is_reserved(name)
  return M.keywords[name] or M.soft_keywords[name] or false
end

return M
