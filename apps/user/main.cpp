// The user service: profiles and per-user statistics (port 5002).
#include "user/setup.hpp"

int main()
{
    return parley::run_service({.name = "user-service", .default_port = 5002},
                               parley::user_app::setup);
}
