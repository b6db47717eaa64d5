-- Word splitting and case conversion (rules/words.lua).
local t = require("tests_lua_assert")
local words = require("rules.words")

local snake = {
  SayHello = "say_hello", HTTPServer = "http_server", ListURLs = "list_urls",
  getV2 = "get_v2", GetID = "get_id", say_hello = "say_hello", Int32Value = "int32_value",
  getHTTP2Stream = "get_http2_stream", IDs = "ids", GetURLsForID = "get_urls_for_id",
  already = "already", ABC = "abc", lowerCamelCase = "lower_camel_case", X = "x",
  _private = "_private", v1beta1 = "v1_beta1", SSLCertificate = "ssl_certificate",
}
for input, expected in pairs(snake) do
  t.eq(words.snake(input), expected, "snake(" .. input .. ")")
end
t.eq(words.pascal("say_hello"), "SayHello", "pascal")
t.eq(words.camel("say_hello_world"), "sayHelloWorld", "camel")
t.eq(words.camel("HTTPServer"), "httpServer", "camel lowercases a leading acronym")
t.eq(words.screaming_snake("HTTPServer"), "HTTP_SERVER", "screaming")
t.eq(table.concat(words.split("ListURLs"), ","), "List,URLs", "split")
