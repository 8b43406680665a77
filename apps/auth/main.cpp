#include "auth/service.hpp"
#include "parley/service/service.hpp"

int main()
{
    return parley::run_service({.name = "auth-service", .default_port = 5001},
                               parley::auth_app::setup);
}
