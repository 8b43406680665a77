// The API gateway: the one public origin of the API and the chat WebSocket.
#include "parley/service/service.hpp"
#include "setup.hpp"

int main()
{
    return parley::run_service(
        {.name = "gateway", .default_port = 5000, .default_cors_origins = {"*"}},
        parley::gateway::setup);
}
