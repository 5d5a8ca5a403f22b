# Every method of the MQTT client API through nginx: the response envelope
# (apiVersion, context echoed, method, data), Content-Type, HTTP 200, and
# activate/deactivate semantics.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Client qw(cgi);    # main::cgi(...): POST to the API

# A port nobody listens on: an active client tries it and stays disconnected.
$ENV{TEST_NGINX_DEAD_PORT} = free_port();

plan('no_plan');
run_tests();

__DATA__

=== TEST 1: getSupportedVersions needs no apiVersion and echoes the context
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request
POST /axis-cgi/mqtt/client.cgi
{"context":"versions please","method":"getSupportedVersions"}
--- response_headers
Content-Type: application/json
--- response_json_exact
{"apiVersion":"1.0","context":"versions please","method":"getSupportedVersions",
 "data":{"apiVersions":["1.0"]}}
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: without a context, none is echoed
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request
POST /axis-cgi/mqtt/client.cgi
{"apiVersion":"1.0","method":"getSupportedVersions","params":{}}
--- response_headers
Content-Type: application/json
--- response_json_exact
{"apiVersion":"1.0","method":"getSupportedVersions","data":{"apiVersions":["1.0"]}}



=== TEST 3: getClientStatus of a fresh gateway: inactive, every field at its default
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request
POST /axis-cgi/mqtt/client.cgi
{"apiVersion":"1.0","context":"fresh","method":"getClientStatus","params":{}}
--- response_headers
Content-Type: application/json
--- response_json_exact
{"apiVersion":"1.0","context":"fresh","method":"getClientStatus",
 "data":{
   "status":{"state":"inactive","connectionStatus":"disconnected"},
   "config":{
     "server":{"protocol":"tcp","host":"","port":1883,"basepath":"","alpnProtocol":""},
     "httpProxy":"","httpsProxy":"","username":"","clientId":"",
     "keepAliveInterval":60,"connectTimeout":60,"cleanSession":true,"autoReconnect":true,
     "activateOnReboot":true,"deviceTopicPrefix":"axis/ACCC8E012345",
     "ssl":{"validateServerCert":true,"clientCertID":"","CACertID":""}}}}
--- check
ok(!glob("$state_dir/client*.json"), 'a read writes no state file');



=== TEST 4: the default topic prefix follows axis_mqtt_serial
--- http_config
axis_mqtt_serial B8A44F000001;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
["POST /axis-cgi/mqtt/client.cgi
{\"apiVersion\":\"1.0\",\"method\":\"getClientStatus\"}",
"POST /axis-cgi/mqtt/client.cgi
{\"apiVersion\":\"1.0\",\"method\":\"configureClient\",\"params\":{\"server\":{\"protocol\":\"tcp\",\"host\":\"b\"}}}",
"POST /axis-cgi/mqtt/client.cgi
{\"apiVersion\":\"1.0\",\"method\":\"getClientStatus\"}"]
--- response_json eval
['{"data":{"config":{"deviceTopicPrefix":"axis/B8A44F000001"}}}',
 '{"data":{}}',
 '{"data":{"config":{"server":{"host":"b"},"deviceTopicPrefix":"axis/B8A44F000001"}}}']



=== TEST 5: configureClient with the spec's example, then getClientStatus shows it
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
["POST /axis-cgi/mqtt/client.cgi
{
\"apiVersion\": \"1.0\",
\"context\": \"some context\",
\"method\": \"configureClient\",
\"params\": {
\"server\": {\"protocol\": \"ssl\", \"host\": \"somebroker.somewhere.com\", \"port\": 8883},
\"username\": \"user_1\",
\"password\": \"password_1\",
\"keepExistingPassword\": false,
\"clientId\": \"unique_id_on_broker\",
\"keepAliveInterval\": 20,
\"connectTimeout\": 30,
\"cleanSession\": true,
\"autoReconnect\": true,
\"deviceTopicPrefix\": \"some/topic/prefix\",
\"lastWillTestament\": {\"useDefault\": false, \"topic\": \"Camera_1/ConnectionStatus\",
  \"message\": \"Connection Lost\", \"retain\": true, \"qos\": 1},
\"connectMessage\": {\"useDefault\": false, \"topic\": \"Camera_1/ConnectionStatus\",
  \"message\": \"Connected\", \"retain\": true, \"qos\": 1},
\"disconnectMessage\": {\"useDefault\": false, \"topic\": \"Camera_1/ConnectionStatus\",
  \"message\": \"Disconnected\", \"retain\": true, \"qos\": 1},
\"ssl\": {\"validateServerCert\": true}
}
}",
"POST /axis-cgi/mqtt/client.cgi
{\"apiVersion\":\"1.0\",\"context\":\"some context\",\"method\":\"getClientStatus\",\"params\":{}}"]
--- response_headers
Content-Type: application/json
--- response_json_exact eval
['{"apiVersion":"1.0","context":"some context","method":"configureClient","data":{}}',
 '{"apiVersion":"1.0","context":"some context","method":"getClientStatus",
   "data":{
     "status":{"state":"inactive","connectionStatus":"disconnected"},
     "config":{
       "server":{"protocol":"ssl","host":"somebroker.somewhere.com","port":8883,
                 "basepath":"","alpnProtocol":""},
       "httpProxy":"","httpsProxy":"",
       "username":"user_1","password":"*****","clientId":"unique_id_on_broker",
       "keepAliveInterval":20,"connectTimeout":30,"cleanSession":true,"autoReconnect":true,
       "activateOnReboot":true,"deviceTopicPrefix":"some/topic/prefix",
       "lastWillTestament":{"useDefault":false,"topic":"Camera_1/ConnectionStatus",
                            "message":"Connection Lost","retain":true,"qos":1},
       "connectMessage":{"useDefault":false,"topic":"Camera_1/ConnectionStatus",
                         "message":"Connected","retain":true,"qos":1},
       "disconnectMessage":{"useDefault":false,"topic":"Camera_1/ConnectionStatus",
                            "message":"Disconnected","retain":true,"qos":1},
       "ssl":{"validateServerCert":true,"clientCertID":"","CACertID":""}}}}']
--- state_file_mode: 0600
--- state_file_like: "password_1"
--- no_error_log
password_1
[alert]
[crit]



=== TEST 6: activateClient / deactivateClient set the state and are idempotent
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::cgi(qq{{"apiVersion":"1.0","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":$ENV{TEST_NGINX_DEAD_PORT}}}}}),
 main::cgi('{"apiVersion":"1.0","context":"a1","method":"activateClient","params":{}}'),
 main::cgi('{"apiVersion":"1.0","method":"getClientStatus"}'),
 main::cgi('{"apiVersion":"1.0","context":"a2","method":"activateClient"}'),
 main::cgi('{"apiVersion":"1.0","method":"getClientStatus"}'),
 main::cgi('{"apiVersion":"1.0","context":"d1","method":"deactivateClient","params":{}}'),
 main::cgi('{"apiVersion":"1.0","method":"getClientStatus"}'),
 main::cgi('{"apiVersion":"1.0","context":"d2","method":"deactivateClient"}'),
 main::cgi('{"apiVersion":"1.0","method":"getClientStatus"}')]
--- response_headers
Content-Type: application/json
--- response_json_exact eval
['{"apiVersion":"1.0","method":"configureClient","data":{}}',
 '{"apiVersion":"1.0","context":"a1","method":"activateClient","data":{}}',
 undef,
 '{"apiVersion":"1.0","context":"a2","method":"activateClient","data":{}}',
 undef,
 '{"apiVersion":"1.0","context":"d1","method":"deactivateClient","data":{}}',
 undef,
 '{"apiVersion":"1.0","context":"d2","method":"deactivateClient","data":{}}',
 undef]
--- response_json eval
[undef,
 undef,
 qq{{"data":{"status":{"state":"active","connectionStatus":"disconnected"},
   "config":{"server":{"host":"127.0.0.1","port":$ENV{TEST_NGINX_DEAD_PORT}}}}}},
 undef,
 qq{{"data":{"status":{"state":"active","connectionStatus":"disconnected"},
   "config":{"server":{"host":"127.0.0.1","port":$ENV{TEST_NGINX_DEAD_PORT}}}}}},
 undef,
 qq{{"data":{"status":{"state":"inactive","connectionStatus":"disconnected"},
   "config":{"server":{"host":"127.0.0.1","port":$ENV{TEST_NGINX_DEAD_PORT}}}}}},
 undef,
 qq{{"data":{"status":{"state":"inactive","connectionStatus":"disconnected"},
   "config":{"server":{"host":"127.0.0.1","port":$ENV{TEST_NGINX_DEAD_PORT}}}}}}]
--- state_file_mode: 0600
--- state_file_like: "active"\s*:\s*false



=== TEST 7: activateClient keeps the configuration, and a configure keeps the active state
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::cgi(qq{{"apiVersion":"1.0","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":$ENV{TEST_NGINX_DEAD_PORT}},"clientId":"first"}}}),
 main::cgi('{"apiVersion":"1.0","method":"activateClient"}'),
 main::cgi(qq{{"apiVersion":"1.0","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":$ENV{TEST_NGINX_DEAD_PORT}},"clientId":"second"}}}),
 main::cgi('{"apiVersion":"1.0","method":"getClientStatus"}')]
--- response_json eval
['{"data":{}}', '{"data":{}}', '{"data":{}}',
 '{"data":{"status":{"state":"active"},"config":{"clientId":"second"}}}']
--- state_file_like: "active"\s*:\s*true.*"second"|"second".*"active"\s*:\s*true



=== TEST 8: any minor version of major 1 is served and echoed
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
["POST /axis-cgi/mqtt/client.cgi
{\"apiVersion\":\"1.3\",\"context\":\"c\",\"method\":\"getClientStatus\"}",
"POST /axis-cgi/mqtt/client.cgi
{\"apiVersion\":\"1.0\",\"context\":\"\",\"method\":\"deactivateClient\"}"]
--- response_json eval
['{"apiVersion":"1.3","context":"c","method":"getClientStatus",
   "data":{"status":{"state":"inactive"}}}',
 '{"apiVersion":"1.0","context":"","method":"deactivateClient","data":{}}']
