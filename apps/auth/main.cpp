// The auth service: users, credentials, token issue and verify (port 5001).
#include "auth/setup.hpp"

int main()
{
    return parley::run_service({.name = "auth-service", .default_port = 5001},
                               parley::auth_app::setup);
}
