namespace ModelRegistry.Core.Webhooks;

/// <summary><c>Registry:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Registry:Webhooks";

    /// <summary>Allow targets on loopback, private, link-local and similar addresses (for a registry inside a private network, and tests).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Waits between attempts; after the last one the delivery is marked failed. Empty: <see cref="DefaultRetryDelaysSeconds"/>.</summary>
    /// <remarks>No initialiser on purpose: configuration binding appends to an array's existing items instead of replacing them.</remarks>
    public int[] RetryDelaysSeconds { get; set; } = [];

    public static readonly int[] DefaultRetryDelaysSeconds = [10, 60, 300, 1800, 7200];

    public IReadOnlyList<int> EffectiveRetryDelays => RetryDelaysSeconds.Length > 0 ? RetryDelaysSeconds : DefaultRetryDelaysSeconds;

    /// <summary>How long one attempt may take.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>How often the dispatcher looks for due deliveries when nothing woke it.</summary>
    public int PollSeconds { get; set; } = 2;
}
