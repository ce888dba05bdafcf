/* Chat templates: family detection from the Jinja source and rendering, compared with
   renderings made by Jinja engines from the real template texts:
   - tests/data/tokenizers/chat_templates.json: @huggingface/jinja renderings of the Qwen3,
     Llama 3 (two versions) and Gemma 3 templates ('expected');
   - the families that file lacks: template texts of the models named before each, rendered
     by Python Jinja2 3.1.6 set up as transformers sets it up (see the table below);
   - the templates stored in the vocabularies under build/vocab. */
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include "test.h"

/* Generated with Jinja2 3.1.6 configured as transformers configures it (trim_blocks,
   lstrip_blocks, raise_exception, tojson with ensure_ascii=False): each template text
   below rendered with bos_token "<s>" and eos_token "</s>"; NULL = raise_exception. */
static const char *const conv_roles[4][5] = {
    {"system", "user", "assistant", "user"},
    {"user", "assistant"},
    {"system", "user", "assistant", "tool", "user"},
    {"user"},
};
static const char *const conv_contents[4][5] = {
    {"You are a concise assistant.",
     "Hello! What is 2+2\?",
     "2+2 equals 4.",
     "And 3+3\?"},
    {"  Hi there \n",
     " I am fine.\xc2\xa0 "},
    {"Be brief.",
     "Q1",
     "<think>\nplan\n</think>\n\nA1",
     "{\"x\": 1}",
     "Q2\xe3\x80\x80"},
    {"Only one\n"},
};
static const size_t conv_len[4] = {4, 2, 5, 1};

/* teknium/OpenHermes-2.5-Mistral-7B */
static const char *const tmpl_chatml[] = {
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im",
        "_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif ",
        "%}", NULL};
/* Qwen/Qwen2-7B-Instruct */
static const char *const tmpl_qwen2[] = {
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>",
        "system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] ",
        "+ '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<",
        "|im_start|>assistant\\n' }}{% endif %}", NULL};
/* Qwen/Qwen2.5-7B-Instruct */
static const char *const tmpl_qwen25[] = {
        "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0]['role'] == 'system' %}\n",
        "        {{- messages[0]['content'] }}\n    {%- else %}\n        {{- 'You are Qwen, created by Alibab",
        "a Cloud. You are a helpful assistant.' }}\n    {%- endif %}\n    {{- \"\\n\\n# Tools\\n\\nYou may ca",
        "ll one or more functions to assist with the user query.\\n\\nYou are provided with function signatur",
        "es within <tools></tools> XML tags:\\n<tools>\" }}\n    {%- for tool in tools %}\n        {{- \"\\n\"",
        " }}\n        {{- tool | tojson }}\n    {%- endfor %}\n    {{- \"\\n</tools>\\n\\nFor each function c",
        "all, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\",
        "n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call>",
        "<|im_end|>\\n\" }}\n{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_st",
        "art|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n        {{- '<|im_st",
        "art|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n",
        "    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n    {%- if (message.role == \"user\"",
        ") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not messa",
        "ge.tool_calls) %}\n        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>",
        "' + '\\n' }}\n    {%- elif message.role == \"assistant\" %}\n        {{- '<|im_start|>' + message.ro",
        "le }}\n        {%- if message.content %}\n            {{- '\\n' + message.content }}\n        {%- en",
        "dif %}\n        {%- for tool_call in message.tool_calls %}\n            {%- if tool_call.function is",
        " defined %}\n                {%- set tool_call = tool_call.function %}\n            {%- endif %}\n  ",
        "          {{- '\\n<tool_call>\\n{\"name\": \"' }}\n            {{- tool_call.name }}\n            {{",
        "- '\", \"arguments\": ' }}\n            {{- tool_call.arguments | tojson }}\n            {{- '}\\n</",
        "tool_call>' }}\n        {%- endfor %}\n        {{- '<|im_end|>\\n' }}\n    {%- elif message.role == ",
        "\"tool\" %}\n        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n ",
        "           {{- '<|im_start|>user' }}\n        {%- endif %}\n        {{- '\\n<tool_response>\\n' }}\n",
        "        {{- message.content }}\n        {{- '\\n</tool_response>' }}\n        {%- if loop.last or (m",
        "essages[loop.index0 + 1].role != \"tool\") %}\n            {{- '<|im_end|>\\n' }}\n        {%- endif",
        " %}\n    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistan",
        "t\\n' }}\n{%- endif %}\n", NULL};
/* meta-llama/Llama-2-7b-chat-hf */
static const char *const tmpl_llama2[] = {
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message ",
        "= messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false",
        " %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % ",
        "2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') ",
        "}}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + sy",
        "stem_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['conten",
        "t'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/",
        "INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% e",
        "ndif %}{% endfor %}", NULL};
/* meta-llama/Llama-3.1-8B-Instruct */
static const char *const tmpl_llama31[] = {
        "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n{%- endif ",
        "%}\n{%- if not tools_in_user_message is defined %}\n    {%- set tools_in_user_message = true %}\n{%-",
        " endif %}\n{%- if not date_string is defined %}\n    {%- set date_string = \"26 Jul 2024\" %}\n{%- e",
        "ndif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n\n{#- This block",
        " extracts the system message, so we can slot it into the right place. #}\n{%- if messages[0]['role']",
        " == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n    {%- set messages =",
        " messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n\n{#- System mess",
        "age + builtin tools #}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{%- if builtin_",
        "tools is defined or tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n{%- ",
        "if builtin_tools is defined %}\n    {{- \"Tools: \" + builtin_tools | reject('equalto', 'code_interp",
        "reter') | join(\", \") + \"\\n\\n\"}}\n{%- endif %}\n{{- \"Cutting Knowledge Date: December 2023\\n\"",
        " }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{%- if tools is not none and not tools_in_u",
        "ser_message %}\n    {{- \"You have access to the following functions. To call a function, please res",
        "pond with JSON for a function call.\" }}\n    {{- 'Respond in the format {\"name\": function name, \"",
        "parameters\": dictionary of argument name and its value}.' }}\n    {{- \"Do not use variables.\\n\\n",
        "\" }}\n    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n  ",
        "  {%- endfor %}\n{%- endif %}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n\n{#- Custom tools are ",
        "passed in a user message with some extra guidance #}\n{%- if tools_in_user_message and not tools is ",
        "none %}\n    {#- Extract the first user message so we can plug it in here #}\n    {%- if messages | ",
        "length != 0 %}\n        {%- set first_user_message = messages[0]['content']|trim %}\n        {%- set",
        " messages = messages[1:] %}\n    {%- else %}\n        {{- raise_exception(\"Cannot put tools in the ",
        "first user message when there's no first user message!\") }}\n{%- endif %}\n    {{- '<|start_header_",
        "id|>user<|end_header_id|>\\n\\n' -}}\n    {{- \"Given the following functions, please respond with a",
        " JSON for a function call \" }}\n    {{- \"with its proper arguments that best answers the given pro",
        "mpt.\\n\\n\" }}\n    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary",
        " of argument name and its value}.' }}\n    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in ",
        "tools %}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n    {{-",
        " first_user_message + \"<|eot_id|>\"}}\n{%- endif %}\n\n{%- for message in messages %}\n    {%- if n",
        "ot (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n        {{- ",
        "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|",
        "eot_id|>' }}\n    {%- elif 'tool_calls' in message %}\n        {%- if not message.tool_calls|length ",
        "== 1 %}\n            {{- raise_exception(\"This model only supports single tool-calls at once!\") }}",
        "\n        {%- endif %}\n        {%- set tool_call = message.tool_calls[0].function %}\n        {%- i",
        "f builtin_tools is defined and tool_call.name in builtin_tools %}\n            {{- '<|start_header_i",
        "d|>assistant<|end_header_id|>\\n\\n' -}}\n            {{- \"<|python_tag|>\" + tool_call.name + \".c",
        "all(\" }}\n            {%- for arg_name, arg_val in tool_call.arguments | items %}\n                ",
        "{{- arg_name + '=\"' + arg_val + '\"' }}\n                {%- if not loop.last %}\n                 ",
        "   {{- \", \" }}\n                {%- endif %}\n                {%- endfor %}\n            {{- \")\"",
        " }}\n        {%- else  %}\n            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}",
        "\n            {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n            {{- '\"parameters\": ' }",
        "}\n            {{- tool_call.arguments | tojson }}\n            {{- \"}\" }}\n        {%- endif %}\n",
        "        {%- if builtin_tools is defined %}\n            {#- This means we're in ipython mode #}\n   ",
        "         {{- \"<|eom_id|>\" }}\n        {%- else %}\n            {{- \"<|eot_id|>\" }}\n        {%- ",
        "endif %}\n    {%- elif message.role == \"tool\" or message.role == \"ipython\" %}\n        {{- \"<|s",
        "tart_header_id|>ipython<|end_header_id|>\\n\\n\" }}\n        {%- if message.content is mapping or me",
        "ssage.content is iterable %}\n            {{- message.content | tojson }}\n        {%- else %}\n    ",
        "        {{- message.content }}\n        {%- endif %}\n        {{- \"<|eot_id|>\" }}\n    {%- endif %",
        "}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header",
        "_id|>\\n\\n' }}\n{%- endif %}\n", NULL};
/* google/gemma-2-2b-it */
static const char *const tmpl_gemma[] = {
        "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported",
        "') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 =",
        "= 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{",
        "% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = m",
        "essage['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_",
        "of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}", NULL};
/* mistralai/Mistral-7B-Instruct-v0.2 (early version) */
static const char *const tmpl_mistral[] = {
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 ==",
        " 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%",
        " endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif ",
        "message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('On",
        "ly user and assistant roles are supported!') }}{% endif %}{% endfor %}", NULL};
/* mistralai 'v1' template with a system prompt */
static const char *const tmpl_mistral_v1[] = {
        "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n ",
        "   {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%",
        "- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == ",
        "'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message",
        ", conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%",
        "- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n     ",
        "       {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- ",
        "else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    ",
        "{%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    ",
        "{%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exce",
        "ption of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n", NULL};
/* mistralai/Mistral-7B-Instruct-v0.3 / Mistral-Large-Instruct-2407 */
static const char *const tmpl_mistral_v3[] = {
        "{%- if messages[0][\"role\"] == \"system\" %}\n    {%- set system_message = messages[0][\"content\"]",
        " %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages ",
        "%}\n{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n{%- set",
        " user_messages = loop_messages | selectattr(\"role\", \"equalto\", \"user\") | list %}\n\n{#- This b",
        "lock checks for alternating user/assistant messages, skipping tool calling messages #}\n{%- set ns =",
        " namespace() %}\n{%- set ns.index = 0 %}\n{%- for message in loop_messages %}\n    {%- if not (messa",
        "ge.role == \"tool\" or message.role == \"tool_results\" or (message.tool_calls is defined and messag",
        "e.tool_calls is not none)) %}\n        {%- if (message[\"role\"] == \"user\") != (ns.index % 2 == 0)",
        " %}\n            {{- raise_exception(\"After the optional system message, conversation roles must al",
        "ternate user/assistant/user/assistant/...\") }}\n        {%- endif %}\n        {%- set ns.index = ns",
        ".index + 1 %}\n    {%- endif %}\n{%- endfor %}\n\n{{- bos_token }}\n{%- for message in loop_messages",
        " %}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if tools is not none and (message == u",
        "ser_messages[-1]) %}\n            {{- \"[AVAILABLE_TOOLS] [\" }}\n            {%- for tool in tools ",
        "%}\n                {%- set tool = tool.function %}\n                {{- '{\"type\": \"function\", \"",
        "function\": {' }}\n                {%- for key, val in tool.items() if key != \"return\" %}\n       ",
        "             {%- if val is string %}\n                        {{- '\"' + key + '\": \"' + val + '\"'",
        " }}\n                    {%- else %}\n                        {{- '\"' + key + '\": ' + val|tojson }",
        "}\n                    {%- endif %}\n                    {%- if not loop.last %}\n                  ",
        "      {{- \", \" }}\n                    {%- endif %}\n                {%- endfor %}\n              ",
        "  {{- \"}}\" }}\n                {%- if not loop.last %}\n                    {{- \", \" }}\n       ",
        "         {%- else %}\n                    {{- \"]\" }}\n                {%- endif %}\n            {%",
        "- endfor %}\n            {{- \"[/AVAILABLE_TOOLS]\" }}\n            {%- endif %}\n        {%- if loo",
        "p.last and system_message is defined %}\n            {{- \"[INST] \" + system_message + \"\\n\\n\" +",
        " message[\"content\"] + \"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST] \" + message[\"",
        "content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- elif message.tool_calls is defined and me",
        "ssage.tool_calls is not none %}\n        {{- \"[TOOL_CALLS] [\" }}\n        {%- for tool_call in mes",
        "sage.tool_calls %}\n            {%- set out = tool_call.function|tojson %}\n            {{- out[:-1]",
        " }}\n            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}\n                ",
        "{{- raise_exception(\"Tool call IDs should be alphanumeric strings with length 9!\") }}\n           ",
        " {%- endif %}\n            {{- ', \"id\": \"' + tool_call.id + '\"}' }}\n            {%- if not loop",
        ".last %}\n                {{- \", \" }}\n            {%- else %}\n                {{- \"]\" + eos_to",
        "ken }}\n            {%- endif %}\n        {%- endfor %}\n    {%- elif message[\"role\"] == \"assista",
        "nt\" %}\n        {{- \" \" + message[\"content\"]|trim + eos_token}}\n    {%- elif message[\"role\"]",
        " == \"tool_results\" or message[\"role\"] == \"tool\" %}\n        {%- if message.content is defined ",
        "and message.content.content is defined %}\n            {%- set content = message.content.content %}\n",
        "        {%- else %}\n            {%- set content = message.content %}\n        {%- endif %}\n       ",
        " {{- '[TOOL_RESULTS] {\"content\": ' + content|string + \", \" }}\n        {%- if not message.tool_c",
        "all_id is defined or message.tool_call_id|length != 9 %}\n            {{- raise_exception(\"Tool cal",
        "l IDs should be alphanumeric strings with length 9!\") }}\n        {%- endif %}\n        {{- '\"call",
        "_id\": \"' + message.tool_call_id + '\"}[/TOOL_RESULTS]' }}\n    {%- else %}\n        {{- raise_exce",
        "ption(\"Only user and assistant roles are supported, with the exception of an initial optional syste",
        "m message!\") }}\n    {%- endif %}\n{%- endfor %}\n", NULL};
/* microsoft/Phi-3-mini-4k-instruct */
static const char *const tmpl_phi3[] = {
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' ",
        "+ message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assis",
        "tant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}", NULL};
/* HuggingFaceH4/zephyr-7b-beta */
static const char *const tmpl_zephyr[] = {
        "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['conten",
        "t'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] +",
        " eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content']",
        " + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{",
        "% endif %}\n{% endfor %}", NULL};
/* allenai/OLMo-2-1124-7B-SFT (Tulu format) */
static const char *const tmpl_tulu[] = {
        "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ '<|system|>\n' + ",
        "message['content'] + '\n' }}{% elif message['role'] == 'user' %}{{ '<|user|>\n' + message['content']",
        " + '\n' }}{% elif message['role'] == 'assistant' %}{% if not loop.last %}{{ '<|assistant|>\n'  + mes",
        "sage['content'] + eos_token + '\n' }}{% else %}{{ '<|assistant|>\n'  + message['content'] + eos_toke",
        "n }}{% endif %}{% endif %}{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\n' }}{% endi",
        "f %}{% endfor %}", NULL};
/* deepseek-ai/DeepSeek-V2-Chat */
static const char *const tmpl_deepseek[] = {
        "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{{ bo",
        "s_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + message['cont",
        "ent'] + '\n\n' }}{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eo",
        "s_token }}{% elif message['role'] == 'system' %}{{ message['content'] + '\n\n' }}{% endif %}{% endfo",
        "r %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}", NULL};
/* deepseek-ai/deepseek-coder-33b-instruct */
static const char *const tmpl_deepseek_coder[] = {
        "{% if not add_generation_prompt is defined %}\n{% set add_generation_prompt = false %}\n{% endif %}\n",
        "{%- set ns = namespace(found=false) -%}\n{%- for message in messages -%}\n    {%- if message['role']",
        " == 'system' -%}\n        {%- set ns.found = true -%}\n    {%- endif -%}\n{%- endfor -%}\n{{bos_toke",
        "n}}{%- if not ns.found -%}\n{{'You are an AI programming assistant, utilizing the Deepseek Coder mod",
        "el, developed by Deepseek Company, and you only answer questions related to computer science. For po",
        "litically sensitive questions, security and privacy issues, and other non-computer science questions",
        ", you will refuse to answer\\n'}}\n{%- endif %}\n{%- for message in messages %}\n    {%- if message[",
        "'role'] == 'system' %}\n{{ message['content'] }}\n    {%- else %}\n        {%- if message['role'] ==",
        " 'user' %}\n{{'### Instruction:\\n' + message['content'] + '\\n'}}\n        {%- else %}\n{{'### Resp",
        "onse:\\n' + message['content'] + '\\n<|EOT|>\\n'}}\n        {%- endif %}\n    {%- endif %}\n{%- endf",
        "or %}\n{% if add_generation_prompt %}\n{{'### Response:'}}\n{% endif %}", NULL};

/* Template texts are split in pieces: C99 compilers need not take literals over 4095 bytes. */
typedef struct hand_case { const char *name; const char *model; const char *const *tmpl; const char *expected[4][2]; } hand_case;
static const hand_case hand_cases[] = {
    {"chatml", "teknium/OpenHermes-2.5-Mistral-7B",
        tmpl_chatml,
        {
            {"<|im_start|>system\nYou are a concise assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2\?<|"
        "im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3\?<|im_end|>\n",
             "<|im_start|>system\nYou are a concise assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2\?<|"
        "im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3\?<|im_end|>\n<|i"
        "m_start|>assistant\n"},
            {"<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n I am fine.\xc2\xa0 <|im_end|>\n",
             "<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n I am fine.\xc2\xa0 <|im_end|>\n<|"
        "im_start|>assistant\n"},
            {"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<thi"
        "nk>\nplan\n</think>\n\nA1<|im_end|>\n<|im_start|>tool\n{\"x\": 1}<|im_end|>\n<|im_start|>user\nQ2\xe3"
        "\x80\x80<|im_end|>\n",
             "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<thi"
        "nk>\nplan\n</think>\n\nA1<|im_end|>\n<|im_start|>tool\n{\"x\": 1}<|im_end|>\n<|im_start|>user\nQ2\xe3"
        "\x80\x80<|im_end|>\n<|im_start|>assistant\n"},
            {"<|im_start|>user\nOnly one\n<|im_end|>\n",
             "<|im_start|>user\nOnly one\n<|im_end|>\n<|im_start|>assistant\n"},
        }},
    {"qwen2", "Qwen/Qwen2-7B-Instruct",
        tmpl_qwen2,
        {
            {"<|im_start|>system\nYou are a concise assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2\?<|"
        "im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3\?<|im_end|>\n",
             "<|im_start|>system\nYou are a concise assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2\?<|"
        "im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3\?<|im_end|>\n<|i"
        "m_start|>assistant\n"},
            {"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n  Hi there \n<|im_end|"
        ">\n<|im_start|>assistant\n I am fine.\xc2\xa0 <|im_end|>\n",
             "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n  Hi there \n<|im_end|"
        ">\n<|im_start|>assistant\n I am fine.\xc2\xa0 <|im_end|>\n<|im_start|>assistant\n"},
            {"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<thi"
        "nk>\nplan\n</think>\n\nA1<|im_end|>\n<|im_start|>tool\n{\"x\": 1}<|im_end|>\n<|im_start|>user\nQ2\xe3"
        "\x80\x80<|im_end|>\n",
             "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<thi"
        "nk>\nplan\n</think>\n\nA1<|im_end|>\n<|im_start|>tool\n{\"x\": 1}<|im_end|>\n<|im_start|>user\nQ2\xe3"
        "\x80\x80<|im_end|>\n<|im_start|>assistant\n"},
            {"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nOnly one\n<|im_end|>\n"
        "",
             "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nOnly one\n<|im_end|>\n"
        "<|im_start|>assistant\n"},
        }},
    {"qwen2.5", "Qwen/Qwen2.5-7B-Instruct",
        tmpl_qwen25,
        {
            {"<|im_start|>system\nYou are a concise assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2\?<|"
        "im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3\?<|im_end|>\n",
             "<|im_start|>system\nYou are a concise assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2\?<|"
        "im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3\?<|im_end|>\n<|i"
        "m_start|>assistant\n"},
            {"<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n I am fine.\xc2\xa0 <|im_end|>\n",
             "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n I am fine.\xc2\xa0 <|im_end|>\n<|"
        "im_start|>assistant\n"},
            {"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<thi"
        "nk>\nplan\n</think>\n\nA1<|im_end|>\n<|im_start|>user\n<tool_response>\n{\"x\": 1}\n</tool_response>"
        "<|im_end|>\n<|im_start|>user\nQ2\xe3\x80\x80<|im_end|>\n",
             "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<thi"
        "nk>\nplan\n</think>\n\nA1<|im_end|>\n<|im_start|>user\n<tool_response>\n{\"x\": 1}\n</tool_response>"
        "<|im_end|>\n<|im_start|>user\nQ2\xe3\x80\x80<|im_end|>\n<|im_start|>assistant\n"},
            {"<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nOnly one\n<|im_end|>\n",
             "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nOnly one\n<|im_end|>\n<|im_start|>assistant\n"},
        }},
    {"llama2", "meta-llama/Llama-2-7b-chat-hf",
        tmpl_llama2,
        {
            {"<s>[INST] <<SYS>>\nYou are a concise assistant.\n<</SYS>>\n\nHello! What is 2+2\? [/INST] 2+2 equals"
        " 4. </s><s>[INST] And 3+3\? [/INST]",
             "<s>[INST] <<SYS>>\nYou are a concise assistant.\n<</SYS>>\n\nHello! What is 2+2\? [/INST] 2+2 equals"
        " 4. </s><s>[INST] And 3+3\? [/INST]"},
            {"<s>[INST] Hi there [/INST] I am fine. </s>",
             "<s>[INST] Hi there [/INST] I am fine. </s>"},
            {NULL,
             NULL},
            {"<s>[INST] Only one [/INST]",
             "<s>[INST] Only one [/INST]"},
        }},
    {"llama3.1", "meta-llama/Llama-3.1-8B-Instruct",
        tmpl_llama31,
        {
            {"<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        "26 Jul 2024\n\nYou are a concise assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHel"
        "lo! What is 2+2\?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n2+2 equals 4.<|eot_id|><"
        "|start_header_id|>user<|end_header_id|>\n\nAnd 3+3\?<|eot_id|>",
             "<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        "26 Jul 2024\n\nYou are a concise assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHel"
        "lo! What is 2+2\?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n2+2 equals 4.<|eot_id|><"
        "|start_header_id|>user<|end_header_id|>\n\nAnd 3+3\?<|eot_id|><|start_header_id|>assistant<|end_head"
        "er_id|>\n\n"},
            {"<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_heade"
        "r_id|>assistant<|end_header_id|>\n\nI am fine.<|eot_id|>",
             "<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_heade"
        "r_id|>assistant<|end_header_id|>\n\nI am fine.<|eot_id|><|start_header_id|>assistant<|end_header_id|"
        ">\n\n"},
            {"<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        "26 Jul 2024\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ1<|eot_id|><|start_he"
        "ader_id|>assistant<|end_header_id|>\n\n<think>\nplan\n</think>\n\nA1<|eot_id|><|start_header_id|>ipy"
        "thon<|end_header_id|>\n\n\"{\\\"x\\\": 1}\"<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ2<"
        "|eot_id|>",
             "<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        "26 Jul 2024\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ1<|eot_id|><|start_he"
        "ader_id|>assistant<|end_header_id|>\n\n<think>\nplan\n</think>\n\nA1<|eot_id|><|start_header_id|>ipy"
        "thon<|end_header_id|>\n\n\"{\\\"x\\\": 1}\"<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ2<"
        "|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
            {"<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nOnly one<|eot_id|>",
             "<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nOnly one<|eot_id|><|start_heade"
        "r_id|>assistant<|end_header_id|>\n\n"},
        }},
    {"gemma", "google/gemma-2-2b-it",
        tmpl_gemma,
        {
            {NULL,
             NULL},
            {"<s><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nI am fine.<end_of_turn>\n",
             "<s><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nI am fine.<end_of_turn>\n<start"
        "_of_turn>model\n"},
            {NULL,
             NULL},
            {"<s><start_of_turn>user\nOnly one<end_of_turn>\n",
             "<s><start_of_turn>user\nOnly one<end_of_turn>\n<start_of_turn>model\n"},
        }},
    {"mistral", "mistralai/Mistral-7B-Instruct-v0.2 (early version)",
        tmpl_mistral,
        {
            {NULL,
             NULL},
            {"<s>[INST]   Hi there \n [/INST] I am fine.\xc2\xa0 </s>",
             "<s>[INST]   Hi there \n [/INST] I am fine.\xc2\xa0 </s>"},
            {NULL,
             NULL},
            {"<s>[INST] Only one\n [/INST]",
             "<s>[INST] Only one\n [/INST]"},
        }},
    {"mistral-v1", "mistralai 'v1' template with a system prompt",
        tmpl_mistral_v1,
        {
            {"<s> [INST] You are a concise assistant.\n\nHello! What is 2+2\? [/INST] 2+2 equals 4.</s> [INST] And"
        " 3+3\? [/INST]",
             "<s> [INST] You are a concise assistant.\n\nHello! What is 2+2\? [/INST] 2+2 equals 4.</s> [INST] And"
        " 3+3\? [/INST]"},
            {"<s> [INST]   Hi there \n [/INST]  I am fine.\xc2\xa0 </s>",
             "<s> [INST]   Hi there \n [/INST]  I am fine.\xc2\xa0 </s>"},
            {NULL,
             NULL},
            {"<s> [INST] Only one\n [/INST]",
             "<s> [INST] Only one\n [/INST]"},
        }},
    {"mistral-v3", "mistralai/Mistral-7B-Instruct-v0.3 / Mistral-Large-Instruct-2407",
        tmpl_mistral_v3,
        {
            {"<s>[INST] Hello! What is 2+2\?[/INST] 2+2 equals 4.</s>[INST] You are a concise assistant.\n\nAnd 3+"
        "3\?[/INST]",
             "<s>[INST] Hello! What is 2+2\?[/INST] 2+2 equals 4.</s>[INST] You are a concise assistant.\n\nAnd 3+"
        "3\?[/INST]"},
            {"<s>[INST]   Hi there \n[/INST] I am fine.</s>",
             "<s>[INST]   Hi there \n[/INST] I am fine.</s>"},
            {NULL,
             NULL},
            {"<s>[INST] Only one\n[/INST]",
             "<s>[INST] Only one\n[/INST]"},
        }},
    {"phi3", "microsoft/Phi-3-mini-4k-instruct",
        tmpl_phi3,
        {
            {"<s><|user|>\nHello! What is 2+2\?<|end|>\n<|assistant|>\n2+2 equals 4.<|end|>\n<|user|>\nAnd 3+3\?<|"
        "end|>\n<|assistant|>\n",
             "<s><|user|>\nHello! What is 2+2\?<|end|>\n<|assistant|>\n2+2 equals 4.<|end|>\n<|user|>\nAnd 3+3\?<|"
        "end|>\n<|assistant|>\n"},
            {"<s><|user|>\n  Hi there \n<|end|>\n<|assistant|>\n I am fine.\xc2\xa0 <|end|>\n",
             "<s><|user|>\n  Hi there \n<|end|>\n<|assistant|>\n I am fine.\xc2\xa0 <|end|>\n"},
            {"<s><|user|>\nQ1<|end|>\n<|assistant|>\n<think>\nplan\n</think>\n\nA1<|end|>\n<|user|>\nQ2\xe3\x80\x80"
        "<|end|>\n<|assistant|>\n",
             "<s><|user|>\nQ1<|end|>\n<|assistant|>\n<think>\nplan\n</think>\n\nA1<|end|>\n<|user|>\nQ2\xe3\x80\x80"
        "<|end|>\n<|assistant|>\n"},
            {"<s><|user|>\nOnly one\n<|end|>\n<|assistant|>\n",
             "<s><|user|>\nOnly one\n<|end|>\n<|assistant|>\n"},
        }},
    {"zephyr", "HuggingFaceH4/zephyr-7b-beta",
        tmpl_zephyr,
        {
            {"<|system|>\nYou are a concise assistant.</s>\n<|user|>\nHello! What is 2+2\?</s>\n<|assistant|>\n2+2"
        " equals 4.</s>\n<|user|>\nAnd 3+3\?</s>\n",
             "<|system|>\nYou are a concise assistant.</s>\n<|user|>\nHello! What is 2+2\?</s>\n<|assistant|>\n2+2"
        " equals 4.</s>\n<|user|>\nAnd 3+3\?</s>\n<|assistant|>\n"},
            {"<|user|>\n  Hi there \n</s>\n<|assistant|>\n I am fine.\xc2\xa0 </s>\n",
             "<|user|>\n  Hi there \n</s>\n<|assistant|>\n I am fine.\xc2\xa0 </s>\n<|assistant|>\n"},
            {"<|system|>\nBe brief.</s>\n<|user|>\nQ1</s>\n<|assistant|>\n<think>\nplan\n</think>\n\nA1</s>\n<|use"
        "r|>\nQ2\xe3\x80\x80</s>\n",
             "<|system|>\nBe brief.</s>\n<|user|>\nQ1</s>\n<|assistant|>\n<think>\nplan\n</think>\n\nA1</s>\n<|use"
        "r|>\nQ2\xe3\x80\x80</s>\n<|assistant|>\n"},
            {"<|user|>\nOnly one\n</s>\n",
             "<|user|>\nOnly one\n</s>\n<|assistant|>\n"},
        }},
    {"tulu", "allenai/OLMo-2-1124-7B-SFT (Tulu format)",
        tmpl_tulu,
        {
            {"<s><|system|>\nYou are a concise assistant.\n<|user|>\nHello! What is 2+2\?\n<|assistant|>\n2+2 equa"
        "ls 4.</s>\n<|user|>\nAnd 3+3\?\n",
             "<s><|system|>\nYou are a concise assistant.\n<|user|>\nHello! What is 2+2\?\n<|assistant|>\n2+2 equa"
        "ls 4.</s>\n<|user|>\nAnd 3+3\?\n<|assistant|>\n"},
            {"<s><|user|>\n  Hi there \n\n<|assistant|>\n I am fine.\xc2\xa0 </s>",
             "<s><|user|>\n  Hi there \n\n<|assistant|>\n I am fine.\xc2\xa0 </s><|assistant|>\n"},
            {"<s><|system|>\nBe brief.\n<|user|>\nQ1\n<|assistant|>\n<think>\nplan\n</think>\n\nA1</s>\n<|user|>\n"
        "Q2\xe3\x80\x80\n",
             "<s><|system|>\nBe brief.\n<|user|>\nQ1\n<|assistant|>\n<think>\nplan\n</think>\n\nA1</s>\n<|user|>\n"
        "Q2\xe3\x80\x80\n<|assistant|>\n"},
            {"<s><|user|>\nOnly one\n\n",
             "<s><|user|>\nOnly one\n\n<|assistant|>\n"},
        }},
    {"deepseek", "deepseek-ai/DeepSeek-V2-Chat",
        tmpl_deepseek,
        {
            {"<s>You are a concise assistant.\n\nUser: Hello! What is 2+2\?\n\nAssistant: 2+2 equals 4.</s>User: A"
        "nd 3+3\?\n\n",
             "<s>You are a concise assistant.\n\nUser: Hello! What is 2+2\?\n\nAssistant: 2+2 equals 4.</s>User: A"
        "nd 3+3\?\n\nAssistant:"},
            {"<s>User:   Hi there \n\n\nAssistant:  I am fine.\xc2\xa0 </s>",
             "<s>User:   Hi there \n\n\nAssistant:  I am fine.\xc2\xa0 </s>Assistant:"},
            {"<s>Be brief.\n\nUser: Q1\n\nAssistant: <think>\nplan\n</think>\n\nA1</s>User: Q2\xe3\x80\x80\n\n",
             "<s>Be brief.\n\nUser: Q1\n\nAssistant: <think>\nplan\n</think>\n\nA1</s>User: Q2\xe3\x80\x80\n\nAssi"
        "stant:"},
            {"<s>User: Only one\n\n\n",
             "<s>User: Only one\n\n\nAssistant:"},
        }},
    {"deepseek-coder", "deepseek-ai/deepseek-coder-33b-instruct",
        tmpl_deepseek_coder,
        {
            {"<s>You are a concise assistant.### Instruction:\nHello! What is 2+2\?\n### Response:\n2+2 equals 4.\n"
        "<|EOT|>\n### Instruction:\nAnd 3+3\?\n",
             "<s>You are a concise assistant.### Instruction:\nHello! What is 2+2\?\n### Response:\n2+2 equals 4.\n"
        "<|EOT|>\n### Instruction:\nAnd 3+3\?\n### Response:\n"},
            {"<s>You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Co"
        "mpany, and you only answer questions related to computer science. For politically sensitive question"
        "s, security and privacy issues, and other non-computer science questions, you will refuse to answer\n"
        "### Instruction:\n  Hi there \n\n### Response:\n I am fine.\xc2\xa0 \n<|EOT|>\n",
             "<s>You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Co"
        "mpany, and you only answer questions related to computer science. For politically sensitive question"
        "s, security and privacy issues, and other non-computer science questions, you will refuse to answer\n"
        "### Instruction:\n  Hi there \n\n### Response:\n I am fine.\xc2\xa0 \n<|EOT|>\n### Response:\n"},
            {"<s>Be brief.### Instruction:\nQ1\n### Response:\n<think>\nplan\n</think>\n\nA1\n<|EOT|>\n### Respons"
        "e:\n{\"x\": 1}\n<|EOT|>\n### Instruction:\nQ2\xe3\x80\x80\n",
             "<s>Be brief.### Instruction:\nQ1\n### Response:\n<think>\nplan\n</think>\n\nA1\n<|EOT|>\n### Respons"
        "e:\n{\"x\": 1}\n<|EOT|>\n### Instruction:\nQ2\xe3\x80\x80\n### Response:\n"},
            {"<s>You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Co"
        "mpany, and you only answer questions related to computer science. For politically sensitive question"
        "s, security and privacy issues, and other non-computer science questions, you will refuse to answer\n"
        "### Instruction:\nOnly one\n\n",
             "<s>You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Co"
        "mpany, and you only answer questions related to computer science. For politically sensitive question"
        "s, security and privacy issues, and other non-computer science questions, you will refuse to answer\n"
        "### Instruction:\nOnly one\n\n### Response:\n"},
        }},
    {"qwen3", "tests/data/tokenizers/chat_templates.json",
        NULL,
        {
            {"<|im_start|>system\nYou are a concise assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2\?<|"
        "im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3\?<|im_end|>\n",
             "<|im_start|>system\nYou are a concise assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2\?<|"
        "im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3\?<|im_end|>\n<|i"
        "m_start|>assistant\n"},
            {"<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n I am fine."
        "\xc2\xa0 <|im_end|>\n",
             "<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n I am fine."
        "\xc2\xa0 <|im_end|>\n<|im_start|>assistant\n"},
            {"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|"
        "im_end|>\n<|im_start|>user\n<tool_response>\n{\"x\": 1}\n</tool_response><|im_end|>\n<|im_start|>use"
        "r\nQ2\xe3\x80\x80<|im_end|>\n",
             "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|"
        "im_end|>\n<|im_start|>user\n<tool_response>\n{\"x\": 1}\n</tool_response><|im_end|>\n<|im_start|>use"
        "r\nQ2\xe3\x80\x80<|im_end|>\n<|im_start|>assistant\n"},
            {"<|im_start|>user\nOnly one\n<|im_end|>\n",
             "<|im_start|>user\nOnly one\n<|im_end|>\n<|im_start|>assistant\n"},
        }},
    {"llama3", "tests/data/tokenizers/chat_templates.json",
        NULL,
        {
            {"<s><|start_header_id|>system<|end_header_id|>\n\nYou are a concise assistant.<|eot_id|><|start_heade"
        "r_id|>user<|end_header_id|>\n\nHello! What is 2+2\?<|eot_id|><|start_header_id|>assistant<|end_heade"
        "r_id|>\n\n2+2 equals 4.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3\?<|eot_id|>",
             "<s><|start_header_id|>system<|end_header_id|>\n\nYou are a concise assistant.<|eot_id|><|start_heade"
        "r_id|>user<|end_header_id|>\n\nHello! What is 2+2\?<|eot_id|><|start_header_id|>assistant<|end_heade"
        "r_id|>\n\n2+2 equals 4.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3\?<|eot_id|><|st"
        "art_header_id|>assistant<|end_header_id|>\n\n"},
            {"<s><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_h"
        "eader_id|>\n\nI am fine.<|eot_id|>",
             "<s><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_h"
        "eader_id|>\n\nI am fine.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
            {"<s><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_hea"
        "der_id|>\n\nQ1<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<think>\nplan\n</think>\n\n"
        "A1<|eot_id|><|start_header_id|>tool<|end_header_id|>\n\n{\"x\": 1}<|eot_id|><|start_header_id|>user<"
        "|end_header_id|>\n\nQ2<|eot_id|>",
             "<s><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_hea"
        "der_id|>\n\nQ1<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<think>\nplan\n</think>\n\n"
        "A1<|eot_id|><|start_header_id|>tool<|end_header_id|>\n\n{\"x\": 1}<|eot_id|><|start_header_id|>user<"
        "|end_header_id|>\n\nQ2<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
            {"<s><|start_header_id|>user<|end_header_id|>\n\nOnly one<|eot_id|>",
             "<s><|start_header_id|>user<|end_header_id|>\n\nOnly one<|eot_id|><|start_header_id|>assistant<|end_h"
        "eader_id|>\n\n"},
        }},
    {"gemma3", "tests/data/tokenizers/chat_templates.json",
        NULL,
        {
            {"<s><start_of_turn>user\nYou are a concise assistant.\n\nHello! What is 2+2\?<end_of_turn>\n<start_of"
        "_turn>model\n2+2 equals 4.<end_of_turn>\n<start_of_turn>user\nAnd 3+3\?<end_of_turn>\n",
             "<s><start_of_turn>user\nYou are a concise assistant.\n\nHello! What is 2+2\?<end_of_turn>\n<start_of"
        "_turn>model\n2+2 equals 4.<end_of_turn>\n<start_of_turn>user\nAnd 3+3\?<end_of_turn>\n<start_of_turn"
        ">model\n"},
            {"<s><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nI am fine.<end_of_turn>\n",
             "<s><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nI am fine.<end_of_turn>\n<start"
        "_of_turn>model\n"},
            {NULL,
             NULL},
            {"<s><start_of_turn>user\nOnly one<end_of_turn>\n",
             "<s><start_of_turn>user\nOnly one<end_of_turn>\n<start_of_turn>model\n"},
        }},
};

static char *join_parts(const char *const *parts) {
    size_t n = 0, i;
    char *s;
    for (i = 0; parts[i]; i++) n += strlen(parts[i]);
    s = (char *)malloc(n + 1);
    n = 0;
    for (i = 0; parts[i]; i++) {
        memcpy(s + n, parts[i], strlen(parts[i]));
        n += strlen(parts[i]);
    }
    s[n] = 0;
    return s;
}

/* Renders into a buffer of exactly the size the first call reports. */
static rm_result render(int t, const rm_chat_msg *m, size_t n, int gen, const char *bos, const char *eos, char **out,
                        size_t *len) {
    size_t need = 0, got = 0;
    rm_result r = rm_chat_render(t, m, n, gen, bos, eos, NULL, 0, &need);
    *out = NULL;
    *len = 0;
    if (r != RM_OK && r != RM_ERR_LIMIT) return r;
    *out = (char *)malloc(need ? need : 1);
    r = rm_chat_render(t, m, n, gen, bos, eos, *out, need, &got);
    if (r == RM_OK && got != need) r = RM_ERR_LIMIT;
    *len = got;
    return r;
}

static int same(const char *got, size_t n, const char *exp) {
    return got && n == strlen(exp) && memcmp(got, exp, n) == 0;
}

/* First differing byte, for failure messages. */
static size_t diff_at(const char *got, size_t n, const char *exp) {
    size_t i, m = strlen(exp);
    for (i = 0; i < n && i < m; i++)
        if (got[i] != exp[i]) break;
    return i;
}

static rmj_doc *load_vectors(void) {
    size_t len = 0;
    char *text = rmt_read_file("tests/data/tokenizers/chat_templates.json", &len);
    rmj_error e;
    rmj_doc *d = text ? rmj_parse(text, len, &e) : NULL;
    CHECK(d != NULL, "chat_templates.json: %s", text ? e.msg : "missing");
    free(text);
    return d;
}

static int vector_family_id(const char *fam) {
    if (strcmp(fam, "qwen3") == 0) return RM_CHAT_QWEN3;
    if (strcmp(fam, "llama3.1") == 0) return RM_CHAT_LLAMA3; /* that vocabulary holds the Llama 3 template */
    if (strcmp(fam, "llama3") == 0) return RM_CHAT_LLAMA3_LEGACY;
    if (strcmp(fam, "gemma3") == 0) return RM_CHAT_GEMMA3;
    return -1;
}

/* Messages of a vector case; the strings borrow from the document. */
static size_t vector_messages(const rmj_value *msgs, rm_chat_msg *m, size_t cap) {
    size_t i, n = rmj_len(msgs);
    if (n > cap) n = cap;
    for (i = 0; i < n; i++) {
        m[i].role = rmj_str(rmj_get(rmj_at(msgs, i), "role"), &m[i].role_len);
        m[i].content = rmj_str(rmj_get(rmj_at(msgs, i), "content"), &m[i].content_len);
    }
    return n;
}

static void test_vectors(void) {
    rmj_doc *d = load_vectors();
    const rmj_value *fams = rmj_get(rmj_root(d), "families");
    size_t f, n_checked = 0;
    CHECK(rmj_len(fams) == 4, "%lu families", (unsigned long)rmj_len(fams));
    for (f = 0; f < rmj_len(fams); f++) {
        const rmj_value *fam = rmj_at(fams, f), *cases = rmj_get(fam, "cases"), *sp = rmj_get(fam, "special_tokens");
        size_t tl, c;
        const char *tmpl = rmj_str(rmj_get(fam, "chat_template"), &tl);
        const char *bos = strstr(tmpl, "bos_token") ? rmj_str(rmj_get(sp, "bos_token"), NULL) : NULL;
        const char *eos = rmj_str(rmj_get(sp, "eos_token"), NULL);
        int t = -1;
        char err[512];
        rm_result r = rm_chat_template_detect(tmpl, tl, &t, err, sizeof(err));
        CHECK(r == RM_OK && t == vector_family_id(fam->key), "%s: detected %s (%s)", fam->key,
              rm_chat_template_name(t), err);
        for (c = 0; c < rmj_len(cases); c++) {
            const rmj_value *cs = rmj_at(cases, c);
            rm_chat_msg m[16];
            size_t n = vector_messages(rmj_get(cs, "messages"), m, 16), len;
            char *out;
            const char *exp = rmj_str(rmj_get(cs, "expected"), NULL);
            r = render(t, m, n, rmj_bool(rmj_get(cs, "add_generation_prompt")), bos, eos, &out, &len);
            CHECK(r == RM_OK && same(out, len, exp), "%s %s gen=%d: %s, differs at byte %lu:\n%.*s", fam->key,
                  rmj_str(rmj_get(cs, "conversation"), NULL), rmj_bool(rmj_get(cs, "add_generation_prompt")),
                  rm_result_name(r), (unsigned long)diff_at(out, len, exp), (int)len, out ? out : "");
            n_checked++;
            free(out);
        }
    }
    CHECK(n_checked == 40, "%lu cases", (unsigned long)n_checked);
    rmj_free(d);
}

/* Token ids of the renderings, against llama.cpp's (add_special=false, parse_special=true)
   for the families whose vocabulary ships in tests/data/tokenizers. */
static void test_vector_token_ids(void) {
    rmj_doc *d = load_vectors();
    const rmj_value *fams = rmj_get(rmj_root(d), "families");
    size_t f, n_checked = 0;
    for (f = 0; f < rmj_len(fams); f++) {
        const rmj_value *fam = rmj_at(fams, f), *cases = rmj_get(fam, "cases"), *sp = rmj_get(fam, "special_tokens");
        const char *gguf = rmj_str(rmj_get(fam, "gguf"), NULL), *base = strrchr(gguf, '/');
        const char *tmpl = rmj_str(rmj_get(fam, "chat_template"), NULL);
        const char *bos = strstr(tmpl, "bos_token") ? rmj_str(rmj_get(sp, "bos_token"), NULL) : NULL;
        const char *eos = rmj_str(rmj_get(sp, "eos_token"), NULL);
        char path[256];
        rm_gguf *g = NULL;
        rm_vocab *v = NULL;
        size_t c;
        if (!rmj_is_string(rmj_get(fam, "gguf"))) continue;
        snprintf(path, sizeof(path), "build/vocab/%s", base ? base + 1 : gguf);
        CHECK(rm_gguf_open(path, &g) == RM_OK, "%s: %s", path, rm_gguf_error(g));
        CHECK(rm_vocab_load(g, &v) == RM_OK, "%s: %s", path, rm_vocab_error(v));
        for (c = 0; rm_vocab_status(v) == RM_OK && c < rmj_len(cases); c++) {
            const rmj_value *cs = rmj_at(cases, c), *ids = rmj_get(cs, "ids_llama_cpp");
            rm_chat_msg m[16];
            size_t n = vector_messages(rmj_get(cs, "messages"), m, 16), len, n_ids = 0, i;
            char *out;
            int32_t tok[512];
            int ok;
            rm_result r = render(vector_family_id(fam->key), m, n, rmj_bool(rmj_get(cs, "add_generation_prompt")),
                                 bos, eos, &out, &len);
            if (r == RM_OK) r = rm_tokenize(v, out, len, 0, 1, tok, 512, &n_ids);
            ok = r == RM_OK && n_ids == rmj_len(ids);
            for (i = 0; ok && i < n_ids; i++) ok = tok[i] == (int32_t)rmj_num(rmj_at(ids, i));
            CHECK(ok, "%s %s gen=%d: %s, %lu ids vs %lu", fam->key, rmj_str(rmj_get(cs, "conversation"), NULL),
                  rmj_bool(rmj_get(cs, "add_generation_prompt")), rm_result_name(r), (unsigned long)n_ids,
                  (unsigned long)rmj_len(ids));
            n_checked++;
            free(out);
        }
        rm_vocab_free(v);
        rm_gguf_close(g);
    }
    CHECK(n_checked == 30, "%lu cases with ids", (unsigned long)n_checked);
    rmj_free(d);
}

static void test_hand_templates(void) {
    rmj_doc *d = load_vectors();
    const rmj_value *fams = rmj_get(rmj_root(d), "families");
    size_t k, c, i;
    for (k = 0; k < sizeof(hand_cases) / sizeof(hand_cases[0]); k++) {
        const hand_case *h = &hand_cases[k];
        const char *json_name = strcmp(h->name, "llama3") == 0 ? "llama3.1" : h->name;
        char *tmpl = h->tmpl ? join_parts(h->tmpl) : NULL;
        const char *src = tmpl ? tmpl : rmj_str(rmj_get(rmj_get(fams, json_name), "chat_template"), NULL);
        int want = rm_chat_template_from_name(h->name), t = -1;
        char err[512];
        rm_result r = rm_chat_template_detect(src, strlen(src), &t, err, sizeof(err));
        CHECK(want > 0, "%s: no such name", h->name);
        CHECK(r == RM_OK && t == want, "%s (%s): detected %s: %s", h->name, h->model, rm_chat_template_name(t), err);
        for (c = 0; c < 4; c++) {
            rm_chat_msg m[5];
            for (i = 0; i < conv_len[c]; i++) {
                m[i].role = conv_roles[c][i];
                m[i].role_len = strlen(conv_roles[c][i]);
                m[i].content = conv_contents[c][i];
                m[i].content_len = strlen(conv_contents[c][i]);
            }
            for (i = 0; i < 2; i++) {
                const char *exp = h->expected[c][i];
                const char *bos = strstr(src, "bos_token") ? "<s>" : NULL;
                char *out;
                size_t len;
                r = render(want, m, conv_len[c], (int)i, bos, "</s>", &out, &len);
                if (exp) {
                    CHECK(r == RM_OK && same(out, len, exp), "%s conv %lu gen=%lu: %s, differs at byte %lu:\n%.*s",
                          h->name, (unsigned long)c, (unsigned long)i, rm_result_name(r),
                          (unsigned long)diff_at(out, len, exp), (int)len, out ? out : "");
                } else {
                    CHECK(r == RM_ERR_INVALID_ARG, "%s conv %lu gen=%lu: the template refuses it, got %s", h->name,
                          (unsigned long)c, (unsigned long)i, rm_result_name(r));
                }
                free(out);
            }
        }
        free(tmpl);
    }
    rmj_free(d);
}

/* The templates the vocabulary files carry (none for deepseek-coder, gpt-2, llama-spm). */
static void test_vocab_templates(void) {
    static const struct { const char *file; int id; } v[] = {
        {"ggml-vocab-gemma3.gguf", RM_CHAT_GEMMA3}, {"ggml-vocab-llama3.1.gguf", RM_CHAT_LLAMA3},
        {"ggml-vocab-phi-3.gguf", RM_CHAT_PHI3}, {"ggml-vocab-qwen3.gguf", RM_CHAT_QWEN3},
        {"ggml-vocab-deepseek-coder.gguf", -1}, {"ggml-vocab-gpt-2.gguf", -1}, {"ggml-vocab-llama-spm.gguf", -1}};
    size_t i;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char path[256];
        rm_gguf *g = NULL;
        rm_str s;
        rm_result r;
        snprintf(path, sizeof(path), "build/vocab/%s", v[i].file);
        CHECK(rm_gguf_open(path, &g) == RM_OK, "%s: %s", path, rm_gguf_error(g));
        r = rm_gguf_get_str(g, "tokenizer.chat_template", &s);
        if (v[i].id < 0) {
            CHECK(r == RM_ERR_NOT_FOUND, "%s: has a template", path);
        } else {
            int t = -1;
            CHECK(r == RM_OK, "%s: no template", path);
            CHECK(r == RM_OK && rm_chat_template_detect(s.ptr, s.len, &t, NULL, 0) == RM_OK && t == v[i].id,
                  "%s: detected %s", path, rm_chat_template_name(t));
        }
        rm_gguf_close(g);
    }
}

static void test_detect_rejects(void) {
    static const char *bad[] = {
        "", "{{ messages }}", "{% for m in messages %}{{ m.content }}{% endfor %}",
        /* Phi-4 (ChatML with <|im_sep|>) */
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endfor %}",
        /* Mistral v7 */
        "{{ bos_token }}{% for m in messages %}{% if m.role == 'system' %}[SYSTEM_PROMPT]{{ m.content }}[/SYSTEM_PROMPT]{% else %}[INST]{{ m.content }}[/INST]{% endif %}{% endfor %}",
        /* Phi-3-small prints every role: another layout than phi3 */
        "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
        /* SmolLM2: ChatML with its own default system message */
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512];
        int t = 123;
        rm_result r = rm_chat_template_detect(bad[i], strlen(bad[i]), &t, err, sizeof(err));
        CHECK(r == RM_ERR_TEMPLATE && t == RM_CHAT_NONE, "case %lu: %s -> %s", (unsigned long)i, rm_result_name(r),
              rm_chat_template_name(t));
        CHECK(strstr(err, "--template") && strstr(err, "chatml") && strstr(err, "deepseek-coder") && strstr(err, "none"),
              "case %lu: message %s", (unsigned long)i, err);
    }
    {
        int t;
        CHECK(rm_chat_template_detect(NULL, 3, &t, NULL, 0) == RM_ERR_INVALID_ARG, "NULL source");
        CHECK(rm_chat_template_detect("x", 1, NULL, NULL, 0) == RM_ERR_INVALID_ARG, "NULL out");
    }
}

static void test_names(void) {
    int i;
    for (i = 0; i < RM_CHAT_COUNT; i++)
        CHECK(rm_chat_template_name(i) && rm_chat_template_from_name(rm_chat_template_name(i)) == i, "id %d", i);
    CHECK(rm_chat_template_name(-1) == NULL && rm_chat_template_name(RM_CHAT_COUNT) == NULL, "out of range");
    CHECK(rm_chat_template_from_name("bogus") == -1 && rm_chat_template_from_name(NULL) == -1, "unknown name");
    CHECK(strcmp(rm_chat_template_name(RM_CHAT_NONE), "none") == 0, "none");
}

static void test_buffer_convention(void) {
    rm_chat_msg m[2];
    const char *exp = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n<|im_start|>assistant\n";
    char buf[128];
    size_t n = 0, full = strlen(exp);
    m[0].role = "user"; m[0].role_len = 4; m[0].content = "Hi"; m[0].content_len = 2;
    m[1].role = "assistant"; m[1].role_len = 9; m[1].content = "Yo"; m[1].content_len = 2;
    memset(buf, '#', sizeof(buf));
    CHECK(rm_chat_render(RM_CHAT_CHATML, m, 2, 1, NULL, NULL, buf, 10, &n) == RM_ERR_LIMIT && n == full, "short: %lu",
          (unsigned long)n);
    CHECK(memcmp(buf, exp, 10) == 0 && buf[10] == '#', "prefix written, nothing past cap");
    CHECK(rm_chat_render(RM_CHAT_CHATML, m, 2, 1, NULL, NULL, buf, full, &n) == RM_OK && n == full &&
              memcmp(buf, exp, full) == 0 && buf[full] == '#',
          "exact fit");
    CHECK(rm_chat_render(RM_CHAT_CHATML, m, 2, 1, NULL, NULL, NULL, 0, &n) == RM_ERR_LIMIT && n == full, "size query");
    CHECK(rm_chat_render(RM_CHAT_CHATML, m, 0, 1, NULL, NULL, buf, sizeof(buf), &n) == RM_ERR_EMPTY, "no messages");
    CHECK(rm_chat_render(RM_CHAT_CHATML, NULL, 2, 1, NULL, NULL, buf, sizeof(buf), &n) == RM_ERR_INVALID_ARG, "NULL msgs");
    CHECK(rm_chat_render(RM_CHAT_COUNT, m, 2, 1, NULL, NULL, buf, sizeof(buf), &n) == RM_ERR_INVALID_ARG, "bad id");
    CHECK(rm_chat_render(RM_CHAT_CHATML, m, 2, 1, NULL, NULL, NULL, 5, &n) == RM_ERR_INVALID_ARG, "NULL buf, cap 5");
    CHECK(rm_chat_render(RM_CHAT_CHATML, m, 2, 1, NULL, NULL, buf, sizeof(buf), NULL) == RM_ERR_INVALID_ARG, "NULL n_out");
    /* "none": contents concatenated, nothing added */
    CHECK(rm_chat_render(RM_CHAT_NONE, m, 2, 1, "<s>", "</s>", buf, sizeof(buf), &n) == RM_OK && n == 4 &&
              memcmp(buf, "HiYo", 4) == 0,
          "none");
}

int main(void) {
    RUN(test_names);
    RUN(test_vectors);
    RUN(test_vector_token_ids);
    RUN(test_hand_templates);
    RUN(test_vocab_templates);
    RUN(test_detect_rejects);
    RUN(test_buffer_convention);
    return rmt_summary("test_chat");
}
