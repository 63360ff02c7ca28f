print("breaker-demo")
