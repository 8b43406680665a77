#include "support/run.hpp"

namespace parley::test {

running_server::running_server(std::function<void(http::server&)> setup,
                               http::server_options options, runtime_options rt_options)
{
    rt_options.handle_signals = false;
    rt_ = std::make_unique<parley::runtime>(rt_options);
    options.address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<http::server>(*rt_, std::move(options));
    setup(*server_);
    port_ = server_->listen();
    thread_ = std::thread([this] { result_ = rt_->run(); });
}

running_server::~running_server()
{
    stop();
}

int running_server::stop()
{
    if (thread_.joinable()) {
        rt_->stop();
        thread_.join();
    }
    return result_;
}

} // namespace parley::test
