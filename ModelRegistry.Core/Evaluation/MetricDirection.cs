namespace ModelRegistry.Core.Evaluation;

/// <summary>
/// Guesses whether a larger value of a metric is better, for results recorded without saying so (model-index
/// entries never do). Errors, losses, perplexity, latency and the like are "lower is better"; anything else is
/// taken as a score.
/// </summary>
public static class MetricDirection
{
    private static readonly string[] LowerIsBetterWords =
    [
        "loss", "perplexity", "ppl", "error", "err", "wer", "cer", "ter", "latency", "ttft", "tpot", "time", "duration",
        "rmse", "mse", "mae", "mape", "bpb", "bpc", "bits-per-byte", "toxicity", "hallucination", "cost", "memory",
    ];

    /// <summary>True unless a word of <paramref name="metricName"/> names something to be kept low.</summary>
    public static bool HigherIsBetter(string metricName)
    {
        var words = metricName.ToLowerInvariant()
            .Split([' ', '_', '-', '.', '/', '@', '(', ')', ':'], StringSplitOptions.RemoveEmptyEntries);
        return !words.Any(w => LowerIsBetterWords.Contains(w))
            && !LowerIsBetterWords.Any(w => w.Contains('-') && metricName.Contains(w, StringComparison.OrdinalIgnoreCase));
    }
}
