// The chat service: rooms, messages, presence and the WebSocket fan-out (port 5003).
#include "chat/setup.hpp"

int main()
{
    return parley::run_service({.name = "chat-service", .default_port = 5003},
                               parley::chat_app::setup);
}
