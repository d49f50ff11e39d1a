using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Lifecycle;

/// <summary>
/// Which controls of a request to offer an actor, from the roles the actor carries. The dashboard hides what these
/// refuse; <see cref="LifecycleService"/> enforces the same rules against the roles the database holds now.
/// </summary>
public static class TransitionRules
{
    /// <summary>Approve or reject: a reviewer who is not the requester and has not approved it already.</summary>
    public static bool CanDecide(Actor actor, TransitionRequestInfo request) =>
        request.IsPending
        && actor.Has(Permission.DecideTransition)
        && actor.UserId != request.RequestedById
        && request.Approvals.All(a => a.ReviewerId != actor.UserId);

    /// <summary>Cancel: the requester, or an Admin.</summary>
    public static bool CanCancel(Actor actor, TransitionRequestInfo request) =>
        request.IsPending
        && actor.Has(Permission.RequestTransition)
        && (actor.UserId == request.RequestedById || actor.IsSystem || actor.Roles.Contains(Roles.Admin));

    /// <summary>Comment: anyone who requests or decides transitions, while the request is open.</summary>
    public static bool CanComment(Actor actor, TransitionRequestInfo request) =>
        request.IsPending && (actor.Has(Permission.RequestTransition) || actor.Has(Permission.DecideTransition));
}
