/// The InferenceCost module; see docs/ARCHITECTURE.md. Its types arrive with their issue.
public enum InferenceCostModule {}
