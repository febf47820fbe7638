import Testing

@testable import Gateway

@Suite struct GatewayMetricsTests {
    @Test func countersAddUpPerSeriesAndRenderInTheOrderOfTheirLabels() {
        let metrics = GatewayMetrics()
        metrics.increment("primes_ingest_requests_total", [("format", "scope-csv"), ("status", "202")])
        metrics.increment("primes_ingest_requests_total", [("format", "canonical"), ("status", "422")])
        metrics.increment("primes_ingest_requests_total", [("format", "canonical"), ("status", "202")], by: 2)
        metrics.increment("primes_ingest_requests_total", [("format", "canonical"), ("status", "202")])

        #expect(metrics.counter("primes_ingest_requests_total", [("format", "canonical"), ("status", "202")]) == 3)
        // The same values under other keys are another series.
        #expect(metrics.counter("primes_ingest_requests_total", [("status", "canonical"), ("format", "202")]) == 0)
        let lines = metrics.render().split(separator: "\n").filter { $0.hasPrefix("primes_ingest_requests_total{") }
        #expect(
            lines == [
                #"primes_ingest_requests_total{format="canonical",status="202"} 3"#,
                #"primes_ingest_requests_total{format="canonical",status="422"} 1"#,
                #"primes_ingest_requests_total{format="scope-csv",status="202"} 1"#,
            ])
    }

    @Test func histogramsCountEachBucketUpToItsBoundAndEscapeLabelValues() {
        let metrics = GatewayMetrics()
        metrics.observe("primes_delivery_seconds", [("destination", "a \"quoted\" name")], seconds: 0.003)
        metrics.observe("primes_delivery_seconds", [("destination", "a \"quoted\" name")], seconds: 0.2)
        let text = metrics.render()
        let labels = #"destination="a \"quoted\" name""#
        #expect(text.contains("primes_delivery_seconds_bucket{\(labels),le=\"0.0025\"} 0"))
        #expect(text.contains("primes_delivery_seconds_bucket{\(labels),le=\"0.005\"} 1"))
        #expect(text.contains("primes_delivery_seconds_bucket{\(labels),le=\"0.25\"} 2"))
        #expect(text.contains("primes_delivery_seconds_bucket{\(labels),le=\"+Inf\"} 2"))
        #expect(text.contains("primes_delivery_seconds_count{\(labels)} 2"))
        #expect(text.contains("# TYPE primes_delivery_seconds histogram"))
    }

    @Test func seriesWithoutLabelsRenderBare() {
        let metrics = GatewayMetrics()
        metrics.set("primes_queue_depth", to: 7)
        #expect(metrics.render().contains("\nprimes_queue_depth 7\n"))
    }
}
