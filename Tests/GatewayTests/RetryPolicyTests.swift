import Gateway
import Testing

@Suite struct RetryPolicyTests {
    @Test func doublesWithJitterUpToTheCap() {
        let policy = RetryPolicy(maxAttempts: 5, initialDelaySeconds: 1, maxDelaySeconds: 10)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, random: 0) == 0.5)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, random: 1) == 1)
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil, random: 1) == 4)
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil, random: 0) == 2)
        #expect(policy.delay(afterAttempt: 20, retryAfter: nil, random: 1) == 10)
    }

    @Test func honoursRetryAfter() {
        let policy = RetryPolicy(maxAttempts: 5, initialDelaySeconds: 1, maxDelaySeconds: 10)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 42, random: 0.3) == 42)
    }

    @Test func isExhaustedAtTheMaximum() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(!policy.isExhausted(afterAttempt: 2))
        #expect(policy.isExhausted(afterAttempt: 3))
    }
}
