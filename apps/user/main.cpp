#include "parley/service/service.hpp"
#include "user/service.hpp"

int main()
{
    return parley::run_service({.name = "user-service", .default_port = 5002},
                               parley::user_app::setup);
}
