/// When a failed delivery is tried again: exponential backoff with jitter, a cap, and a maximum of attempts.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts before the delivery becomes a dead letter, counting the first.
    public var maxAttempts: Int
    public var initialDelaySeconds: Double
    public var maxDelaySeconds: Double

    public init(maxAttempts: Int = 8, initialDelaySeconds: Double = 1, maxDelaySeconds: Double = 300) {
        self.maxAttempts = maxAttempts
        self.initialDelaySeconds = initialDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// The wait before attempt `attempt + 1`, after `attempt` failed. A partner's `Retry-After` is honoured
    /// as given (even beyond the cap: the partner knows its own outage better than we do); otherwise the
    /// delay doubles from `initialDelaySeconds`, is capped, and is drawn in its upper half so that many
    /// failures at once do not come back in step.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, random: Double = Double.random(in: 0...1))
        -> Double
    {
        if let retryAfter, retryAfter >= 0 { return retryAfter }
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let ceiling = min(maxDelaySeconds, initialDelaySeconds * pow2(exponent))
        return ceiling / 2 + ceiling / 2 * random
    }

    public func isExhausted(afterAttempt attempt: Int) -> Bool {
        attempt >= maxAttempts
    }
}

private func pow2(_ exponent: Double) -> Double {
    var value = 1.0
    for _ in 0..<Int(exponent) { value *= 2 }
    return value
}
